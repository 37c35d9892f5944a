// `tsbuild images`: what the local image store holds.
import { defaultRoot, openStores } from '../../oci/index.ts';
import type { Command } from '../command.ts';
import { parseCommandArgs } from '../command-args.ts';

const usage = `Usage: tsbuild images [OPTIONS]

List the images in the local image store ($TSBUILD_ROOT).

Options:
  -q, --quiet     only print names
      --digests   show manifest digests in full
  -h, --help      show this help`;

export const command: Command = {
  async run(argv) {
    const parsed = parseCommandArgs(
      { args: argv, options: { quiet: { type: 'boolean', short: 'q' }, digests: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } },
      usage,
    );
    if (!parsed) return 0;
    const { values } = parsed;
    const { images } = openStores(defaultRoot());
    const list = await images.list();
    if (values.quiet) {
      for (const img of list) process.stdout.write(`${img.name}\n`);
      return 0;
    }
    const rows = list.map((img) => [img.name, values.digests ? img.target.digest : img.target.digest.slice(7, 19), img.updatedAt]);
    const header = ['NAME', values.digests ? 'DIGEST' : 'ID', 'UPDATED'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const row of [header, ...rows]) process.stdout.write(row.map((c, i) => (i < row.length - 1 ? c.padEnd(widths[i]!) : c)).join('   ') + '\n');
    return 0;
  },
};
