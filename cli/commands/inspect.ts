// `tsbuild inspect IMAGE`: config, platforms, layers (sizes, what made them, files added,
// changed, deleted) and the bytes the image ships for nothing, as text or JSON.
import { defaultRoot, hostPlatform, openStores, parsePlatform } from '../../oci/index.ts';
import type { Command } from '../command.ts';
import { parseCommandArgs } from '../command-args.ts';
import { UsageError } from '../errors.ts';
import { formatReport, inspectReport, openImage } from '../inspect/index.ts';
import { describeThreshold, exceeds, parseWasteThreshold } from '../waste/index.ts';

const usage = `Usage: tsbuild inspect [OPTIONS] IMAGE

Show an image's config, platforms and layers, and the bytes it ships for nothing: files that
more than one layer writes or deletes. IMAGE is an OCI layout directory or archive (a path that
exists; oci:PATH and oci-archive:PATH also work), else a name of the local image store, else the
same name on its registry.

Options:
      --json                  Print the report as JSON
      --platform OS/ARCH[/V]  Which image of a multi-platform index (default: this machine's)
      --remote                Read IMAGE from its registry even when the local store has the name
      --fail-on-waste LIMIT   Exit 1 when the wasted bytes exceed LIMIT: a ratio of the image
                              size (0.1, 10%) or bytes (10MB, 512KiB)
  -h, --help                  show this help`;

export const command: Command = {
  async run(argv) {
    const parsed = parseCommandArgs(
      {
        args: argv,
        allowPositionals: true,
        options: {
          json: { type: 'boolean' },
          platform: { type: 'string' },
          remote: { type: 'boolean' },
          'fail-on-waste': { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      },
      usage,
    );
    if (!parsed) return 0;
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new UsageError(`expected exactly one IMAGE\n\n${usage}`);
    const limit = values['fail-on-waste'] === undefined ? undefined : parseWasteThreshold('--fail-on-waste', values['fail-on-waste']);
    let platform;
    try {
      platform = values.platform ? parsePlatform(values.platform) : hostPlatform();
    } catch (err) {
      throw new UsageError(`invalid --platform "${values.platform}": ${(err as Error).message}`);
    }
    const opened = await openImage(positionals[0]!, { stores: openStores(defaultRoot()), platform, remote: values.remote ?? false });
    try {
      const report = await inspectReport(opened);
      process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
      if (limit && exceeds(limit, report.wastedBytes, report.sizeBytes)) {
        process.stderr.write(
          `ERROR: ${report.wastedBytes} wasted bytes of ${report.sizeBytes}: more than --fail-on-waste allows (${describeThreshold(limit)})\n`,
        );
        return 1;
      }
      return 0;
    } finally {
      await opened.close();
    }
  },
};
