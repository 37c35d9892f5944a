// `tsbuild run IMAGE [COMMAND...]`: runs an image from the local store once, in runc, with its
// entrypoint, command, env, working directory and user, on a throwaway copy of its filesystem.
import { hostPlatform, image, marshal, parsePlatform, PlatformError } from '../../llb/index.ts';
import { defaultRoot, normalizePlatform } from '../../oci/index.ts';
import { MemoryCacheStore, loadDefinitions, solve } from '../../solver/index.ts';
import { createExecutor, runContainer } from '../../executor/index.ts';
import { UsageError, UserError } from '../errors.ts';
import type { Command } from '../command.ts';
import { parseCommandArgs } from '../command-args.ts';

const usage = `Usage: tsbuild run [OPTIONS] IMAGE [COMMAND [ARG...]]

Run an image from the local image store once, in runc (needs root). COMMAND replaces the
image's CMD; the ENTRYPOINT, env, working directory and user come from the image.

Options:
      --network MODE   none (default: loopback only) or host
      --platform P     Which image of a multi-platform index (default: this machine's); a
                       foreign one runs under QEMU user emulation (binfmt_misc)
  -e, --env KEY=VALUE  Set an environment variable (repeatable)
  -h, --help           show this help`;

export const command: Command = {
  async run(argv) {
    // Everything after the image belongs to the command, flags included.
    const first = argv.findIndex((a, i) => !a.startsWith('-') && !['--network', '--platform', '-e', '--env'].includes(argv[i - 1] ?? ''));
    const parsed = parseCommandArgs(
      {
        args: first < 0 ? argv : argv.slice(0, first),
        allowPositionals: true,
        options: {
          network: { type: 'string' },
          platform: { type: 'string' },
          env: { type: 'string', short: 'e', multiple: true },
          help: { type: 'boolean', short: 'h' },
        },
      },
      usage,
    );
    if (!parsed) return 0;
    if (first >= 0) parsed.positionals.push(...argv.slice(first));
    const [name, ...cmd] = parsed.positionals;
    if (!name) throw new UsageError(`expected an IMAGE\n\n${usage}`);
    const network = parsed.values.network ?? 'none';
    if (network !== 'none' && network !== 'host') throw new UsageError(`invalid --network "${network}": use none or host`);

    let platform;
    try {
      platform = parsed.values.platform === undefined ? hostPlatform() : parsePlatform(parsed.values.platform);
    } catch (err) {
      if (err instanceof PlatformError) throw new UsageError(`invalid --platform: ${err.message}`);
      throw err;
    }

    const root = defaultRoot();
    const executor = await createExecutor({ root });
    try {
      const def = marshal(image(name, { resolveMode: 'local', platform }), { platform });
      const outcome = await solve(loadDefinitions(def), { resolver: executor.resolver, store: new MemoryCacheStore() });
      if (!outcome.ok) throw new UserError(outcome.failure.message);
      const result = outcome.results[0]!;
      const imageConfig = await executor.imageConfigOf(result);
      const config = imageConfig?.config ?? {};
      const args = [...(config.Entrypoint ?? []), ...(cmd.length > 0 ? cmd : (config.Cmd ?? []))];
      if (args.length === 0) throw new UserError(`${name} has no ENTRYPOINT or CMD: give a command to run`);
      // The image's own platform decides, whichever was asked for: a single image is what it is.
      if (imageConfig?.architecture) {
        const { os, architecture, variant } = imageConfig;
        const own = normalizePlatform({ os: os || 'linux', architecture, ...(variant ? { variant } : {}) });
        await executor.checkEmulation(own).catch((err: unknown) => {
          throw new UserError((err as Error).message);
        });
      }
      return await runContainer(
        executor,
        result,
        {
          args,
          env: [...(config.Env ?? []), ...(parsed.values.env ?? [])],
          ...(config.WorkingDir ? { cwd: config.WorkingDir } : {}),
          ...(config.User ? { user: config.User } : {}),
        },
        {
          network,
          stdout: (c) => process.stdout.write(c),
          stderr: (c) => process.stderr.write(c),
        },
      );
    } finally {
      await executor.close();
    }
  },
};
