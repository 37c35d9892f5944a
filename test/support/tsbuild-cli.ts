// Runs the real CLI (`cli/bin.js` under this Node) as a child process against a private state
// root, and collects what it wrote and how it exited: what end-to-end tests assert on. Also seeds
// a root with the busybox base image, built by tsbuild itself from examples/busybox/build.ts, the
// way scripts/example.sh does on a fresh machine.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const CLI_BIN = join(REPO_ROOT, 'cli', 'bin.js');
export const EXAMPLES = join(REPO_ROOT, 'examples');

export interface CliResult {
  readonly code: number;
  /** stdout as UTF-8 text; `stdoutBytes` holds the raw bytes (tars on `-o -`). */
  readonly stdout: string;
  readonly stdoutBytes: Buffer;
  readonly stderr: string;
}

export interface CliOptions {
  /** `$TSBUILD_ROOT` of the run. */
  readonly root: string;
  /** Working directory (default: the repository). */
  readonly cwd?: string;
  /** Extra environment; `undefined` removes a variable. CI is set unless given here. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Bytes for stdin (closed empty otherwise). */
  readonly input?: string | Uint8Array;
  /** Kill the process (and fail) after this long. Default 60 s. */
  readonly timeoutMs?: number;
}

/** Spawns `tsbuild ARGS…`; never throws for a non-zero exit (tests assert on `code`). */
export function runCli(args: readonly string[], options: CliOptions): Promise<CliResult> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, CI: '1', ...options.env, TSBUILD_ROOT: options.root })) {
    if (v !== undefined) env[k] = v;
  }
  // A parent's --debug must not change what the tests see.
  delete env['TSBUILD_DEBUG'];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd: options.cwd ?? REPO_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tsbuild ${args.join(' ')} did not finish within ${options.timeoutMs ?? 60_000} ms\nstderr:\n${Buffer.concat(err).toString()}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolvePromise({ code: code ?? (signal ? 128 : 1), stdout: stdoutBytes.toString('utf8'), stdoutBytes, stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** A CLI bound to one state root, with a throwing variant for steps that must succeed. */
export interface Cli {
  readonly root: string;
  run(args: readonly string[], options?: Omit<CliOptions, 'root'>): Promise<CliResult>;
  /** Like `run`, but throws (with stderr) unless the exit code is 0. */
  ok(args: readonly string[], options?: Omit<CliOptions, 'root'>): Promise<CliResult>;
}

export function bindCli(root: string): Cli {
  return {
    root,
    run: (args, options = {}) => runCli(args, { ...options, root }),
    async ok(args, options = {}) {
      const r = await runCli(args, { ...options, root });
      if (r.code !== 0) throw new Error(`tsbuild ${args.join(' ')} exited ${r.code}\n--- stderr ---\n${r.stderr}\n--- stdout ---\n${r.stdout.slice(0, 4000)}`);
      return r;
    },
  };
}

/** A fresh state root in the temp dir; `dispose` removes it (snapshots may hold mounts: unmounted by then). */
export async function tempRoot(prefix = 'tsbuild-e2e-'): Promise<{ root: string; dispose: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  return {
    root,
    dispose: () => rm(root, { recursive: true, force: true, maxRetries: 3 }),
  };
}

/**
 * Puts `busybox:latest` into the root's image store, built from the host's static busybox by
 * examples/busybox/build.ts. Skipped when the store already lists it.
 */
export async function seedBusybox(cli: Cli): Promise<void> {
  const images = await cli.ok(['images', '-q']);
  if (images.stdout.split('\n').includes('docker.io/library/busybox:latest')) return;
  await cli.ok(busyboxBuild(['-t', 'busybox:latest']));
}

/** `tsbuild build` of the busybox image from the host's busybox, with the given output flags. */
export function busyboxBuild(output: readonly string[]): string[] {
  return ['build', '--progress=quiet', '-f', join(EXAMPLES, 'busybox', 'build.ts'), '--local', 'busybox=/usr/bin', ...output, join(EXAMPLES, 'busybox')];
}

/** A temp root with busybox seeded, bound to a CLI: what most e2e suites start from. */
export async function seededCli(): Promise<{ cli: Cli; dispose: () => Promise<void> }> {
  const { root, dispose } = await tempRoot();
  const cli = bindCli(root);
  await seedBusybox(cli);
  return { cli, dispose };
}

/** Lines that look like a JavaScript stack frame (`    at fn (file:…)`). */
export function stackLines(text: string): string[] {
  return text.split('\n').filter((l) => /^\s+at\s.+(\(|:\d+:\d+)/.test(l));
}
