// `tsbuild debug build-llb FILE`: the LLB definition of a build, as pb.Definition bytes on
// stdout (what `buildctl build` reads, and `tsbuild debug dump-llb` prints).
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { definitionToBytes, hostPlatform, parsePlatform } from '../../llb/index.ts';
import { typescriptFrontend } from '../../frontends/typescript/index.ts';
import type { FrontendContext } from '../../frontends/types.ts';
import { UsageError, UserError } from '../errors.ts';
import type { Command } from '../command.ts';

const usage = `Usage: tsbuild debug build-llb [OPTIONS] FILE

Marshal a build program (build.ts) to an LLB definition and write its bytes to stdout.

Options:
  --target NAME          build the named export instead of the default one
  --build-arg KEY=VALUE  pass a build argument (repeatable)
  --platform OS/ARCH     target platform (default: this machine's)
  -h, --help             show this help

Example: tsbuild debug build-llb build.ts | tsbuild debug dump-llb`;

export const command: Command = {
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          target: { type: 'string' },
          'build-arg': { type: 'string', multiple: true },
          platform: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      });
    } catch (err) {
      throw new UsageError(`${(err as Error).message}\n\n${usage}`);
    }
    const { values, positionals } = parsed;
    if (values.help) {
      process.stdout.write(usage + '\n');
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError(`expected one FILE\n\n${usage}`);
    const file = resolve(positionals[0]!);
    const buildArgs: Record<string, string> = {};
    for (const kv of values['build-arg'] ?? []) {
      const i = kv.indexOf('=');
      if (i <= 0) throw new UsageError(`--build-arg ${kv}: expected KEY=VALUE`);
      buildArgs[kv.slice(0, i)] = kv.slice(i + 1);
    }
    const platform = values.platform ? parsePlatform(values.platform) : hostPlatform();

    if (!typescriptFrontend.detect!({ filename: file, source: new Uint8Array() })) {
      // Dockerfile support: not wired yet — the Dockerfile frontend plugs in here.
      throw new UserError('Dockerfile support: not wired yet');
    }
    let source: Uint8Array;
    try {
      source = await readFile(file);
    } catch {
      throw new UserError(`cannot read ${positionals[0]}: no such file`);
    }
    const contextDir = dirname(file);
    const ctx: FrontendContext = {
      async readContextFile(p) {
        try {
          return await readFile(resolve(contextDir, p));
        } catch {
          return undefined;
        }
      },
      async resolveImageConfig() {
        throw new UserError('debug build-llb does not resolve images');
      },
      warn(message, location) {
        process.stderr.write(`warning: ${location ? `${location.file}:${location.line}: ` : ''}${message}\n`);
      },
      signal: new AbortController().signal,
    };
    const result = await typescriptFrontend.build(ctx, { filename: file, source, target: values.target, buildArgs, platform, noResolve: true });
    const bytes = definitionToBytes(result.definition);
    await new Promise<void>((res, rej) => process.stdout.write(bytes, (err) => (err ? rej(err) : res())));
    return 0;
  },
};
