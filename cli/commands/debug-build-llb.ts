// `tsbuild debug build-llb FILE`: the LLB definition of a build, as pb.Definition bytes on
// stdout (what `buildctl build` reads, and `tsbuild debug dump-llb` prints).
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { definitionToBytes, hostPlatform, parsePlatform } from '../../llb/index.ts';
import { defaultRoot } from '../../oci/index.ts';
import { compileBuild, openExecutor, plainRequest, type BuildRequest } from '../build/index.ts';
import { UsageError, UserError } from '../errors.ts';
import type { Command } from '../command.ts';
import { parseCommandArgs } from '../command-args.ts';

const usage = `Usage: tsbuild debug build-llb [OPTIONS] FILE

Compile a build program (build.ts), a Dockerfile or a plugin's input to an LLB definition and
write its bytes to stdout. A Dockerfile's base images are resolved (local image store, then
registry) unless --no-resolve is given.

Options:
  --target NAME          build the named export instead of the default one
  --build-arg KEY=VALUE  pass a build argument (repeatable)
  --platform OS/ARCH     target platform (default: this machine's)
  --no-resolve           do not resolve base images (an empty config stands in): offline
  --frontend NAME|PATH   the frontend to use (default: by # syntax=, else by the file)
  --context DIR          the build context (default: the file's directory)
  -h, --help             show this help

Examples: tsbuild debug build-llb build.ts | tsbuild debug dump-llb
          tsbuild debug build-llb --no-resolve Dockerfile | tsbuild debug dump-llb`;

export const command: Command = {
  async run(argv) {
    const parsed = parseCommandArgs(
      {
        args: argv,
        allowPositionals: true,
        options: {
          target: { type: 'string' },
          'build-arg': { type: 'string', multiple: true },
          platform: { type: 'string' },
          'no-resolve': { type: 'boolean' },
          frontend: { type: 'string' },
          context: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      },
      usage,
    );
    if (!parsed) return 0;
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new UsageError(`expected one FILE\n\n${usage}`);
    const file = resolve(positionals[0]!);
    const buildArgs: Record<string, string> = {};
    for (const kv of values['build-arg'] ?? []) {
      const i = kv.indexOf('=');
      if (i <= 0) throw new UsageError(`--build-arg ${kv}: expected KEY=VALUE`);
      buildArgs[kv.slice(0, i)] = kv.slice(i + 1);
    }
    const platform = values.platform ? parsePlatform(values.platform) : hostPlatform();

    if (!existsSync(file)) throw new UserError(`cannot read ${positionals[0]}: no such file`);
    const req: BuildRequest = {
      ...plainRequest(file, values.context ? resolve(values.context) : dirname(file), defaultRoot(), platform),
      ...(values.frontend ? { frontend: values.frontend } : {}),
      ...(values.target !== undefined ? { target: values.target } : {}),
      buildArgs,
      // A build program names its bases itself; only a Dockerfile reads their configs (ENV,
      // WORKDIR, ONBUILD…) while compiling, from the local image store or a registry.
      noResolve: values['no-resolve'] === true || /\.(m?ts|m?js)$/.test(file),
    };
    const hooks = { onWarning: (m: string) => process.stderr.write(`warning: ${m}\n`) };
    let compiled;
    if (req.noResolve) compiled = await compileBuild(req, undefined, hooks);
    else {
      const executor = await openExecutor(req);
      try {
        compiled = await compileBuild(req, executor, hooks);
      } finally {
        await executor.close();
      }
    }
    const bytes = definitionToBytes(compiled.definition);
    await new Promise<void>((res, rej) => process.stdout.write(bytes, (err) => (err ? rej(err) : res())));
    return 0;
  },
};
