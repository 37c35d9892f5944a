// `tsbuild rmi NAME…`: forget names in the local image store (blobs go with `tsbuild prune`).
import { defaultRoot, openStores } from '../../oci/index.ts';
import { UsageError, UserError } from '../errors.ts';
import type { Command } from '../command.ts';
import { parseCommandArgs } from '../command-args.ts';

const usage = `Usage: tsbuild rmi NAME [NAME...]

Remove image names from the local image store. Blobs no longer used are removed by
\`tsbuild prune\`.

Options:
  -h, --help   show this help`;

export const command: Command = {
  async run(argv) {
    const parsed = parseCommandArgs({ args: argv, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } }, usage);
    if (!parsed) return 0;
    if (parsed.positionals.length === 0) throw new UsageError(`expected at least one image name\n\n${usage}`);
    const { images } = openStores(defaultRoot());
    const missing: string[] = [];
    for (const name of parsed.positionals) {
      if (await images.remove(name)) process.stdout.write(`Untagged: ${name}\n`);
      else missing.push(name);
    }
    if (missing.length > 0) throw new UserError(`no such image: ${missing.join(', ')} (see \`tsbuild images\`)`);
    return 0;
  },
};
