// A small tsbuild program: `tsbuild debug build-llb examples/hello/build.ts | tsbuild debug dump-llb`.
import { image, merge, mkdir, scratch, type ImageSpec } from 'tsbuild';

const base = image('busybox').env('GREETING', 'hello').dir('/app');

// A run on the base image: its result is the base plus what the command wrote.
const greeted = base.run('echo "$GREETING from tsbuild" > /app/greeting.txt', { customName: 'write greeting' }).root();

// A layer built on its own, from scratch, then stacked on top with merge (like COPY --link).
const config = scratch().file(
  mkdir('/etc/hello', 0o755, { makeParents: true }).mkfile('/etc/hello/config.json', 0o644, JSON.stringify({ loud: true }) + '\n'),
  { customName: 'write config' },
);

const state = merge([greeted, config], { customName: 'assemble' });

const imageSpec: ImageSpec = {
  cmd: ['cat', '/app/greeting.txt'],
  workdir: '/app',
  labels: { 'org.opencontainers.image.title': 'hello' },
};

export default { state, image: imageSpec };
