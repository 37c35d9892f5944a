// Runs `prune --all` on a root and stops for good just before the n-th removal of one kind,
// saying so on stdout, so the test can SIGKILL it at that exact point.
import { prune } from '../../../executor/index.ts';

const [root, kind, nth, snapshotter] = process.argv.slice(2);
if (snapshotter) process.env.TSBUILD_SNAPSHOTTER = snapshotter;
let seen = 0;
await prune(root!, {
  all: true,
  async onRemove(k) {
    if (k !== kind || ++seen !== Number(nth)) return;
    process.stdout.write('paused\n');
    await new Promise(() => {});
  },
});
process.stdout.write('finished\n');
