// Runs a process in a container with an OCI runtime CLI (runc or crun: the same commands).
//
// Life of a run (every step undone in `finally`, in reverse):
//   bundle dir ─► rootfs ready (a dir as is, or an overlay mounted in the bundle) ─► cwd created ─► config.json
//     ─► `<runtime> run` (stdio piped) ─► exit ─► `delete --force` ─► stubs removed ─► unmount ─► rm bundle
// Abort: `<runtime> kill <id> KILL` until `run` returns, then the same cleanup.
// A crashed process leaves bundles named with its pid; the next runner on the same state dir
// removes those whose owner is gone (containers, mounts, files).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { access, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { asyncOnce } from '../../llb/index.ts';
import { runTool } from '../../oci/index.ts';

import { hostsFile, resolvConf } from './etc-files.ts';
import { ProcessFailedError, RunCanceledError, RunnerStartError, RunnerUnavailableError } from './errors.ts';
import { mountOverlay, mountsUnder, unmount } from './host-mounts.ts';
import { missingMountPaths, overlayStubs, removeMountStubs, removeUpperStubs } from './mount-stubs.ts';
import { OutputTail } from './output-tail.ts';
import { mkdirAllInRoot } from './root-path.ts';
import { isAlive } from '../process/index.ts';
import { allMounts, buildSpec, DEFAULT_HOSTNAME, processEnv } from './spec.ts';
import type { OverlayRootfs, RunOptions, RunResult, Runner } from './types.ts';
import { isDefaultUser, resolveUser } from './user.ts';

export type OciRuntimeName = 'runc' | 'crun';

export interface OciRuntimeRunnerOptions {
  /** Private to this runner kind: bundles and the runtime's own state live here. */
  readonly stateDir: string;
  /** Binary to execute; default: the runtime's name, looked up in PATH. */
  readonly binary?: string;
}

let sequence = 0;

/** The stubs of a run the runtime may mount itself, or undefined when it may not. */
async function directStubs(overlay: OverlayRootfs, cwd: string, destinations: readonly string[]): Promise<string[] | undefined> {
  // The runtime makes a missing working directory after the mounts: one inside a mount would land
  // there instead of in the layer. Elsewhere it makes it as the host side would for root (0755).
  const inside = (d: string) => d !== '/' && (cwd === d || cwd.startsWith(d.endsWith('/') ? d : `${d}/`));
  if (destinations.some(inside)) return undefined;
  // Directories overlayfs options cannot name: the host mount refuses them with a clear error.
  if ([...overlay.lowerdirs, overlay.upperdir, overlay.workdir].some((d) => /[,:]/.test(d))) return undefined;
  return overlayStubs(overlay, destinations);
}

export class OciRuntimeRunner implements Runner {
  readonly name: OciRuntimeName;
  readonly #binary: string;
  /** The binary's absolute path once found: no PATH walk on each of the many spawns. */
  #path: string | undefined;
  readonly #pending = new Set<Promise<void>>();
  readonly #runtimeRoot: string;
  readonly #bundles: string;
  readonly #ready = asyncOnce(() => this.check().then(() => this.#cleanStale()));

  constructor(name: OciRuntimeName, options: OciRuntimeRunnerOptions) {
    this.name = name;
    this.#binary = options.binary ?? name;
    this.#runtimeRoot = join(options.stateDir, name);
    this.#bundles = join(options.stateDir, 'bundles');
  }

  /** Waits for work this runner left running in the background (bundle removals). */
  async close(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  #background(work: Promise<unknown>): void {
    const p = work.then(
      () => undefined,
      () => undefined,
    );
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  async check(): Promise<void> {
    if (process.getuid?.() !== 0) {
      throw new RunnerUnavailableError('RUN needs root to create containers: run tsbuild as root (e.g. with sudo)');
    }
    this.#path = await findExecutable(this.#binary);
    if (this.#path === undefined) {
      throw new RunnerUnavailableError(
        `RUN needs the ${this.name} container runtime, which was not found in PATH: install it with \`apt-get install ${this.name}\``,
      );
    }
  }

  async run(options: RunOptions): Promise<RunResult> {
    const { args } = options.process;
    if (args.length === 0) throw new Error('a process needs at least one argument');
    if (options.signal?.aborted) throw new RunCanceledError(args, options.signal.reason);
    await this.#ready();

    const id = `tsb-${process.pid}-${++sequence}-${randomBytes(4).toString('hex')}`;
    const bundle = join(this.#bundles, id);
    const logPath = join(bundle, 'runtime.log');
    // The bundle's removal is off the step's critical path: nothing reads it after the run, and
    // close() waits for it (a crash leaves it to the next runner's stale sweep).
    const cleanups: (() => Promise<void>)[] = [async () => void this.#background(rm(bundle, { recursive: true, force: true }))];
    try {
      await mkdir(bundle, { recursive: true });
      const overlay = typeof options.rootfs === 'string' ? undefined : options.rootfs;
      const cwd = options.process.cwd || '/';
      if (!cwd.startsWith('/')) throw new Error(`the working directory must be absolute, got ${JSON.stringify(cwd)}`);
      const hostname = options.hostname ?? DEFAULT_HOSTNAME;
      const hostsPath = join(bundle, 'hosts');
      const resolvConfPath = join(bundle, 'resolv.conf');
      const mounts = options.mounts ?? [];
      const destinations = allMounts({ mounts, hostsPath, resolvConfPath }).map((m) => m.destination);
      // The common step (no USER, a writable overlay root) leaves the overlay to the runtime,
      // which mounts it in the container's own namespace: no mount and umount processes on the
      // host, nothing to unmount after. The runtime's stubs are found in the layers before the
      // run and removed after it; where the layers cannot tell, the host mounts as before.
      // Checked with runc only (crun refuses the hybrid cgroups of the machines tests run on): with
      // crun the overlay is mounted on the host.
      const stubs =
        overlay && this.name === 'runc' && !options.readonlyRootfs && isDefaultUser(options.process.user)
          ? await directStubs(overlay, cwd, destinations)
          : undefined;
      const direct = overlay !== undefined && stubs !== undefined;
      let rootfs: string;
      if (overlay === undefined) {
        rootfs = options.rootfs as string;
      } else {
        rootfs = join(bundle, 'rootfs');
        await mkdir(rootfs);
        if (!direct) {
          await mountOverlay(overlay, rootfs);
          cleanups.push(() => unmountAll(rootfs));
        }
      }

      const user = await resolveUser(direct ? undefined : rootfs, options.process.user);
      if (!direct) await mkdirAllInRoot(rootfs, cwd, user.uid, user.gid);

      await writeFile(hostsPath, hostsFile(hostname, options.extraHosts), { mode: 0o644 });
      await writeFile(resolvConfPath, await resolvConf(), { mode: 0o644 });
      if (direct) {
        cleanups.push(() => removeUpperStubs(overlay.upperdir, stubs));
      } else {
        const missing = await missingMountPaths(rootfs, destinations);
        cleanups.push(() => removeMountStubs(rootfs, missing));
      }

      const spec = buildSpec({
        args,
        env: processEnv(options.process.env, user.home),
        rootPath: rootfs,
        ...(direct ? { rootOverlay: overlay } : {}),
        cwd,
        user,
        hostname,
        network: options.network ?? 'none',
        readonlyRootfs: options.readonlyRootfs ?? false,
        mounts,
        hostsPath,
        resolvConfPath,
        nofile: await nofileLimit(),
      });
      await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));

      const exitCode = await this.#start(id, bundle, logPath, options);
      // `run` deletes the container when its process exits; only a cancel or a failed start may
      // leave one behind (and the next runner's stale sweep catches a crash of ours).
      if (exitCode === 'canceled' || exitCode.startError) await this.#runtime(['delete', '--force', id]).catch(() => undefined);
      if (exitCode === 'canceled') throw new RunCanceledError(args, options.signal?.reason);
      if (exitCode.startError) throw new RunnerStartError(`process "${args.join(' ')}" could not be started: ${exitCode.startError}`, exitCode.log);
      const valid = options.validExitCodes ?? [0];
      if (!valid.includes(exitCode.code)) throw new ProcessFailedError(args, exitCode.code, exitCode.tail);
      return { exitCode: exitCode.code };
    } finally {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    }
  }

  async #start(
    id: string,
    bundle: string,
    logPath: string,
    options: RunOptions,
  ): Promise<'canceled' | { code: number; tail: string; startError?: string; log: string }> {
    const tail = new OutputTail();
    const child = spawn(this.#path ?? this.#binary, ['--root', this.#runtimeRoot, '--log', logPath, '--log-format', 'json', 'run', '--bundle', bundle, id], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => {
      tail.push(chunk);
      options.stdout?.(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      tail.push(chunk);
      options.stderr?.(chunk);
    });
    const exited = new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, sig) => resolve(code ?? 128 + (sig ? (osConstants.signals[sig] ?? 0) : 127)));
    });

    let canceled = false;
    const onAbort = (): void => {
      canceled = true;
      void this.#killUntilExited(id, exited);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let code: number;
    try {
      code = await exited;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
    if (canceled) return 'canceled';

    const log = code !== 0 ? await readFile(logPath, 'utf8').catch(() => '') : '';
    const startError = code !== 0 ? runtimeError(log) : undefined;
    return { code, tail: tail.lines(), log, ...(startError ? { startError } : {}) };
  }

  async #killUntilExited(id: string, exited: Promise<number>): Promise<void> {
    let done = false;
    void exited.finally(() => (done = true)).catch(() => undefined);
    // The container may not exist yet while the runtime is still creating it: retry until `run` returns.
    while (!done) {
      await this.#runtime(['kill', id, 'KILL']).catch(() => undefined);
      await Promise.race([exited.catch(() => undefined), new Promise((r) => setTimeout(r, 100))]);
    }
  }

  async #runtime(args: string[]): Promise<void> {
    await runTool(this.#path ?? this.#binary, ['--root', this.#runtimeRoot, ...args]);
  }

  /** Removes what runs of dead processes left: containers, host mounts, bundle dirs. */
  async #cleanStale(): Promise<void> {
    await mkdir(this.#bundles, { recursive: true });
    await mkdir(this.#runtimeRoot, { recursive: true });
    // runc and crun keep one directory per container under their --root: listing it finds what
    // `<runtime> list` would, without starting a process on every build.
    const ids = new Set([...(await readdir(this.#bundles)), ...(await readdir(this.#runtimeRoot))]);
    for (const id of ids) {
      if (ownerAlive(id)) continue;
      await this.#runtime(['delete', '--force', id]).catch(() => undefined);
      const bundle = join(this.#bundles, id);
      await unmountAll(bundle);
      await rm(bundle, { recursive: true, force: true });
    }
  }
}

export class RuncRunner extends OciRuntimeRunner {
  constructor(options: OciRuntimeRunnerOptions) {
    super('runc', options);
  }
}

export class CrunRunner extends OciRuntimeRunner {
  constructor(options: OciRuntimeRunnerOptions) {
    super('crun', options);
  }
}

export function createRunner(runtime: OciRuntimeName, options: OciRuntimeRunnerOptions): Runner {
  return runtime === 'crun' ? new CrunRunner(options) : new RuncRunner(options);
}

async function unmountAll(dir: string): Promise<void> {
  for (const point of await mountsUnder(dir)) await unmount(point);
}

function ownerAlive(id: string): boolean {
  const m = /^tsb-(\d+)-/.exec(id);
  if (!m) return false;
  return isAlive(Number(m[1]));
}

/** The runtime's own error (JSON log lines at level error), if it failed rather than the process. */
function runtimeError(log: string): string | undefined {
  const messages: string[] = [];
  for (const line of log.split('\n')) {
    if (!line.trim()) continue;
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      if ((entry.level === 'error' || entry.level === 'fatal') && entry.msg) messages.push(entry.msg);
    } catch {
      messages.push(line.trim());
    }
  }
  return messages.length > 0 ? messages.join('; ') : undefined;
}

/**
 * The open-files limit for the process: generous, but never above what this process may set
 * itself (a runtime without CAP_SYS_RESOURCE cannot raise the hard limit).
 */
let nofile: Promise<number> | undefined;
function nofileLimit(): Promise<number> {
  nofile ??= readNofileLimit();
  return nofile;
}

async function readNofileLimit(): Promise<number> {
  const wanted = 1024 * 1024;
  try {
    const limits = await readFile('/proc/self/limits', 'utf8');
    const m = /^Max open files\s+\S+\s+(\S+)/m.exec(limits);
    const hard = m?.[1] === 'unlimited' ? wanted : Number(m?.[1]);
    return Number.isFinite(hard) && hard > 0 ? Math.min(wanted, hard) : 1024;
  } catch {
    return 1024;
  }
}

async function findExecutable(binary: string): Promise<string | undefined> {
  const candidates = binary.includes('/')
    ? [binary]
    : (process.env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, binary));
  for (const c of candidates) {
    try {
      await access(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}
