// The composition root's front door: picks a command, runs it, turns failures into exit codes.
// Commands are loaded lazily so `tsbuild --version` and cached rebuilds start fast.
import { UsageError } from './errors.ts';
import type { Command } from './command.ts';

const commands: Record<string, () => Promise<{ command: Command }>> = {
  solve: () => import('./commands/solve.ts'),
  build: () => import('./commands/build.ts'),
  debug: () => import('./commands/debug.ts'),
  images: () => import('./commands/images.ts'),
  rmi: () => import('./commands/rmi.ts'),
  du: () => import('./commands/du.ts'),
  prune: () => import('./commands/prune.ts'),
  run: () => import('./commands/run.ts'),
  inspect: () => import('./commands/inspect.ts'),
  server: () => import('./commands/server.ts'),
};

const summaries: Record<keyof typeof commands, string> = {
  solve: 'Solve a build.ts, a Dockerfile, a directory holding one, or an LLB definition',
  build: 'Build an image from a context, with docker buildx build flags',
  debug: 'Inspect builds: build-llb, dump-llb, dump-dockerfile',
  images: 'List images in the local image store',
  rmi: 'Remove images from the local image store',
  du: 'Show disk usage of the state directory',
  prune: 'Remove build cache',
  run: 'Run an image from the local store once in runc',
  inspect: "Show an image's config, layers and wasted bytes (local store, registry, OCI archive)",
  server: 'Run a build server that keeps builds on this state directory warm',
};

export function usage(): string {
  const lines = Object.entries(summaries).map(([name, text]) => `  ${name.padEnd(8)} ${text}`);
  return [
    'Usage: tsbuild [--debug] COMMAND [OPTIONS]',
    '',
    'A container image builder in TypeScript.',
    '',
    'Commands:',
    ...lines,
    '',
    'Global options:',
    '  --debug      show stack traces with errors',
    '  --version    print the version',
    '  -h, --help   show help (also `tsbuild COMMAND --help`)',
    '',
    'State lives in $TSBUILD_ROOT (default: ${XDG_DATA_HOME:-~/.local/share}/tsbuild).',
  ].join('\n');
}

export async function main(argv: string[], options: { signal?: AbortSignal } = {}): Promise<number> {
  const debug = argv.includes('--debug') || process.env.TSBUILD_DEBUG === '1';
  const args = argv.filter((a) => a !== '--debug');
  const [name, ...rest] = args;
  try {
    if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
      process.stdout.write(usage() + '\n');
      return name === undefined ? 2 : 0;
    }
    if (name === '--version' || name === '-v' || name === 'version') {
      const { version } = await import('./version.ts');
      process.stdout.write(`tsbuild ${version()}\n`);
      return 0;
    }
    const load = commands[name];
    if (!load) throw new UsageError(`unknown command "${name}"\n\n${usage()}`);
    const { command } = await load();
    return await command.run(rest, { debug, ...(options.signal ? { signal: options.signal } : {}) });
  } catch (err) {
    return reportError(err, debug);
  }
}

export function reportError(err: unknown, debug: boolean): number {
  if (err instanceof UsageError) {
    process.stderr.write(`error: ${err.message}\n`);
    return 2;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`error: ${message}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return 1;
}
