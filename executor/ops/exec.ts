// Exec ops (`RUN`): mounts prepared on the snapshot tree, the process run by the runner, writable
// mounts with an output committed as that output's ref.
//
// Cache key: the ExecOp as versioned JSON without its non-semantic fields (mount selectors, which
// go to the per-input selector instead; cache-mount ids and sharing; proxy env; result ids). A
// secret is named by id only: its value never reaches a key, a layer or a log. Per input:
// selector = the mounted paths; content digest = the content of those paths, for inputs that are
// only mounted read-only (never the root mount, whose result id is the key).
import { chown, readFile, rm, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { canonicalJSON, CacheSharingOpt, MountContentCache, MountType, NetMode, SecurityMode, type ExecOp, type Mount, type Digest } from '../../llb/index.ts';
import { formatPlatform } from '../../oci/index.ts';
import type { CacheMap, CacheMapDep, Op, OpContext, Result, Vertex } from '../../solver/index.ts';
import { asRef, type Ref, type PullProgressSink } from '../refs/index.ts';
import { ProcessFailedError, resolveInRoot, type RootfsMount, type RunnerMount } from '../runner/index.ts';
import type { Mount as SnapshotMount } from '../snapshot/index.ts';
import { opPlatform, tempDir, uniqueKey, type OpsContext } from './context.ts';
import { digestOfText, opDigest } from './cache-digest.ts';
import { ExecError, MissingSecretError, UnsupportedOpError } from './errors.ts';

export const EXEC_KEY = 'tsbuild.exec.v1';
const ROOT = '/';

function isRoot(m: Mount): boolean {
  return (m.mountType ?? MountType.BIND) === MountType.BIND && m.dest === ROOT;
}

/**
 * A step's network: its own, or for an unset one the build's default (`--network`). There is no
 * bridge network, so unset with the host default stays unset (keys made before the default
 * existed still match) and runs on the host's network, like HOST.
 */
function stepNetwork(exec: ExecOp, defaultNetwork: 'host' | 'none'): NetMode {
  const mode = exec.network ?? NetMode.UNSET;
  return mode === NetMode.UNSET && defaultNetwork === 'none' ? NetMode.NONE : mode;
}

/**
 * The ExecOp as it enters the cache digest. An unset network takes the build's default, so a
 * step built with `--network=none` is not mistaken for one built with the host's network.
 */
export function execKeyPayload(exec: ExecOp, defaultNetwork: 'host' | 'none' = 'host'): unknown {
  const { proxyEnv: _proxy, ...meta } = exec.meta ?? {};
  return {
    meta,
    mounts: (exec.mounts ?? []).map((m) => ({
      input: m.input ?? 0,
      dest: m.dest ?? '',
      output: m.output ?? 0,
      readonly: m.readonly ?? false,
      type: m.mountType ?? MountType.BIND,
      ...(m.tmpfsOpt ? { tmpfs: m.tmpfsOpt } : {}),
      ...(m.secretOpt ? { secret: m.secretOpt } : {}),
      ...(m.sshOpt ? { ssh: m.sshOpt } : {}),
    })),
    network: stepNetwork(exec, defaultNetwork),
    security: exec.security ?? SecurityMode.SANDBOX,
    secretenv: exec.secretenv ?? [],
  };
}

export function toRootfs(mounts: SnapshotMount[]): RootfsMount {
  const m = mounts[0];
  if (!m) throw new Error('the snapshot gave no mount for the root filesystem');
  if (m.type === 'bind') return m.source;
  const opt = (name: string) => m.options.find((o) => o.startsWith(`${name}=`))?.slice(name.length + 1);
  const lower = opt('lowerdir');
  const upperdir = opt('upperdir');
  const workdir = opt('workdir');
  if (lower === undefined || upperdir === undefined || workdir === undefined) throw new Error(`unexpected overlay mount options: ${m.options.join(',')}`);
  return { type: 'overlay', lowerdirs: lower.split(':'), upperdir, workdir };
}

/** What a step's mounts came to, and what to undo after it, whatever happens. */
interface PreparedStep {
  rootfs?: RootfsMount;
  readonlyRootfs: boolean;
  readonly mounts: RunnerMount[];
  readonly env: string[];
  /** Writable snapshots: committed as outputs, else removed. */
  readonly actives: { key: string; output: number; parent: Ref | undefined }[];
  readonly cleanups: (() => unknown)[];
  secretsDir?: string;
}

export class ExecOpImpl implements Op {
  readonly #ctx: OpsContext;
  readonly #vertex: Vertex;
  readonly #exec: ExecOp;

  constructor(ctx: OpsContext, vertex: Vertex) {
    this.#ctx = ctx;
    this.#vertex = vertex;
    this.#exec = vertex.op.exec!;
  }

  acquire(signal: AbortSignal): Promise<() => void> {
    return this.#ctx.execSlots.acquire(signal);
  }

  #mounts(): Mount[] {
    return this.#exec.mounts ?? [];
  }

  async cacheMap(): Promise<CacheMap> {
    // Checked before anything runs: a build with a RUN fails up front where containers cannot run.
    await this.#ctx.checkRunner();
    if ((this.#exec.security ?? SecurityMode.SANDBOX) === SecurityMode.INSECURE) {
      throw new UnsupportedOpError('RUN --security=insecure is not supported');
    }
    this.#checkSecrets();
    const platform = formatPlatform(opPlatform(this.#vertex.op.platform, this.#ctx.platform));
    const digest = opDigest(EXEC_KEY, { platform, exec: execKeyPayload(this.#exec, this.#ctx.defaultNetwork) });
    const deps: CacheMapDep[] = this.#vertex.inputs.map((_, i) => this.#dep(i));
    return { digest, deps };
  }

  #checkSecrets(): void {
    for (const m of this.#mounts()) {
      const type = m.mountType ?? MountType.BIND;
      if (type === MountType.SECRET && !m.secretOpt?.optional) this.#secretSourceOrThrow(m.secretOpt?.id ?? '');
      if (type === MountType.SSH && !m.sshOpt?.optional) this.#sshSocketOrThrow(m.sshOpt?.id || 'default');
    }
    for (const s of this.#exec.secretenv ?? []) if (!s.optional) this.#secretSourceOrThrow(s.id ?? '');
  }

  #secretSourceOrThrow(id: string) {
    const src = this.#ctx.secrets[id];
    if (!src || ('env' in src && process.env[src.env] === undefined)) {
      throw new MissingSecretError(
        `secret "${id}" was not given to the build: pass it with --secret id=${id},src=<file> (or env=<VAR>), or mark the mount optional (required=false)`,
      );
    }
    return src;
  }

  #sshSocketOrThrow(id: string): string {
    const sock = this.#ctx.ssh[id];
    if (sock === undefined)
      throw new MissingSecretError(`ssh agent "${id}" was not given to the build: pass it with --ssh ${id}=<socket path> (or --ssh default)`);
    return sock;
  }

  #dep(i: number): CacheMapDep {
    const mounts = this.#mounts().filter((m) => (m.input ?? 0) === i && (m.mountType ?? MountType.BIND) !== MountType.CACHE);
    const cacheMounts = this.#mounts().filter((m) => (m.input ?? 0) === i && m.mountType === MountType.CACHE);
    const selectors = [...mounts, ...cacheMounts].map((m) => m.selector ?? '').filter((s) => s !== '' && s !== '/');
    const selector = selectors.length ? selectors.join('\0') : undefined;
    const contentOK =
      mounts.length > 0 && cacheMounts.length === 0 && mounts.every((m) => !isRoot(m) && m.readonly && m.contentCache !== MountContentCache.OFF);
    if (!contentOK) return selector !== undefined ? { selector } : {};
    const paths = mounts.map((m) => m.selector || '/');
    return {
      ...(selector !== undefined ? { selector } : {}),
      contentDigest: async (input: Result): Promise<Digest> => {
        const dir = await this.#ctx.refs.readable(asRef(input));
        try {
          const digests: Digest[] = [];
          for (const p of paths) digests.push(await this.#ctx.hasher.checksum(dir.path, { path: p, followLinks: true }));
          return digests.length === 1 ? digests[0]! : digestOfText(canonicalJSON(digests));
        } finally {
          await dir.release();
        }
      },
    };
  }

  async exec(ctx: OpContext, inputs: readonly Result[]): Promise<Result[]> {
    // Only a step that runs needs the emulator: one whose result is cached does not.
    await this.#ctx.checkEmulation(opPlatform(this.#vertex.op.platform, this.#ctx.platform));
    const step: PreparedStep = { mounts: [], env: [...(this.#exec.meta?.env ?? [])], actives: [], cleanups: [], readonlyRootfs: false };
    try {
      await this.#prepareMounts(ctx, inputs, step);
      for (const s of this.#exec.secretenv ?? []) {
        if (s.optional && !this.#hasSecret(s.id ?? '')) continue;
        step.env.push(`${s.name}=${(await this.#secretValue(s.id ?? '')).toString('utf8')}`);
      }
      await this.#run(ctx, step);
      return await this.#commit(step);
    } finally {
      for (const a of step.actives) await this.#ctx.snapshotter.remove(a.key).catch(() => {});
      for (const c of step.cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
    }
  }

  /** Every mount of the step, in the runner's terms; writable ones become active snapshots. */
  async #prepareMounts(ctx: OpContext, inputs: readonly Result[], step: PreparedStep): Promise<void> {
    const progress: PullProgressSink = (p) => ctx.status({ id: p.id, current: p.current, total: p.total, ...(p.done ? { completed: Date.now() } : {}) });
    const inputRef = (m: Mount): Ref | undefined => {
      const idx = m.input ?? 0;
      if (idx < 0) return undefined;
      const r = inputs[idx];
      if (!r) throw new Error(`mount ${m.dest}: input ${idx} does not exist`);
      return asRef(r);
    };
    let n = 0;
    for (const m of this.#mounts()) {
      n++;
      const dest = m.dest ?? '';
      const type = m.mountType ?? MountType.BIND;
      switch (type) {
        case MountType.BIND:
          await this.#bindMount(m, dest, inputRef(m), progress, step);
          break;
        case MountType.CACHE: {
          const ref = (m.input ?? -1) >= 0 ? inputRef(m) : undefined;
          const refs = this.#ctx.refs;
          const seed = ref
            ? async () => {
                const dir = await refs.readable(ref, progress);
                return { path: m.selector ? await resolveInRoot(dir.path, m.selector) : dir.path, release: () => dir.release() };
              }
            : undefined;
          const lease = await this.#ctx.cacheMounts.acquire(m.cacheOpt?.id || dest, m.cacheOpt?.sharing ?? CacheSharingOpt.SHARED, seed);
          step.cleanups.push(() => lease.release());
          step.mounts.push({ type: 'bind', source: lease.path, destination: dest });
          break;
        }
        case MountType.TMPFS:
          step.mounts.push({ type: 'tmpfs', destination: dest, ...(m.tmpfsOpt?.size ? { size: m.tmpfsOpt.size } : {}) });
          break;
        case MountType.SECRET: {
          const o = m.secretOpt ?? {};
          const id = o.id ?? '';
          if (o.optional && !this.#hasSecret(id)) break;
          const file = await this.#secretFile(step, `secret-${n}`, await this.#secretValue(id), o.uid ?? 0, o.gid ?? 0, o.mode ?? 0o400);
          step.mounts.push({ type: 'bind', source: file, destination: dest || `/run/secrets/${id}`, readonly: true });
          break;
        }
        case MountType.SSH: {
          const o = m.sshOpt ?? {};
          const id = o.id || 'default';
          if (o.optional && this.#ctx.ssh[id] === undefined) break;
          const socket = this.#sshSocketOrThrow(id);
          const target = dest || `/run/buildkit/ssh_agent.${n - 1}`;
          step.mounts.push({ type: 'bind', source: socket, destination: target });
          if (!step.env.some((e) => e.startsWith('SSH_AUTH_SOCK='))) step.env.push(`SSH_AUTH_SOCK=${target}`);
          break;
        }
        default:
          throw new UnsupportedOpError(`mount ${dest}: unsupported mount type ${String(type)}`);
      }
    }
    if (step.rootfs === undefined) throw new UnsupportedOpError('RUN has no root mount');
    // Parents before children, so a mount inside another lands on top of it.
    step.mounts.sort((a, b) => depth(a.destination) - depth(b.destination));
  }

  /** The root, a read-only input, or a writable input (an active snapshot, an output when it has one). */
  async #bindMount(m: Mount, dest: string, ref: Ref | undefined, progress: PullProgressSink, step: PreparedStep): Promise<void> {
    const { snapshotter: snap, refs } = this.#ctx;
    const output = m.output ?? 0;
    if (m.readonly && dest !== ROOT) {
      const dir = await refs.readable(ref, progress);
      step.cleanups.push(() => dir.release());
      const source = m.selector ? await resolveInRoot(dir.path, m.selector) : dir.path;
      step.mounts.push({ type: 'bind', source, destination: dest, readonly: true });
      return;
    }
    const key = uniqueKey(dest === ROOT ? 'exec-root' : 'exec-mount');
    await snap.prepare(key, await refs.parentKey(ref, progress));
    if (output >= 0) step.actives.push({ key, output, parent: ref });
    else step.cleanups.push(() => snap.remove(key));
    if (dest === ROOT) {
      step.rootfs = toRootfs(await snap.mounts(key));
      step.readonlyRootfs = m.readonly ?? false;
      return;
    }
    const dir = await snap.activeDir(key);
    const source = m.selector ? await resolveInRoot(dir, m.selector) : dir;
    step.mounts.push({ type: 'bind', source, destination: dest });
  }

  /** A secret as a file the container can read (mode and owner as asked), in a directory removed after the step. */
  async #secretFile(step: PreparedStep, name: string, value: Buffer, uid: number, gid: number, mode: number): Promise<string> {
    if (!step.secretsDir) {
      const d = await tempDir(this.#ctx.root, 'secrets');
      step.secretsDir = d;
      step.cleanups.push(() => rm(d, { recursive: true, force: true }));
    }
    const file = join(step.secretsDir, name);
    await writeFile(file, value, { mode });
    await chown(file, uid, gid);
    return file;
  }

  async #run(ctx: OpContext, step: PreparedStep): Promise<void> {
    const meta = this.#exec.meta ?? {};
    const network = stepNetwork(this.#exec, this.#ctx.defaultNetwork) === NetMode.NONE ? 'none' : 'host';
    try {
      await this.#ctx.runner.run({
        rootfs: step.rootfs!,
        mounts: step.mounts,
        process: { args: meta.args ?? [], env: step.env, ...(meta.cwd ? { cwd: meta.cwd } : {}), ...(meta.user ? { user: meta.user } : {}) },
        ...(meta.hostname ? { hostname: meta.hostname } : {}),
        network,
        extraHosts: (meta.extraHosts ?? []).map((h) => ({ host: h.host ?? '', ip: h.ip ?? '' })),
        readonlyRootfs: step.readonlyRootfs,
        stdout: (c) => ctx.log(1, c),
        stderr: (c) => ctx.log(2, c),
        signal: ctx.signal,
        ...(meta.validExitCodes?.length ? { validExitCodes: meta.validExitCodes } : {}),
      });
    } catch (e) {
      if (e instanceof ProcessFailedError) throw new ExecError(e.message, e.exitCode, e.outputTail, { cause: e });
      throw e;
    }
  }

  /** The writable mounts that are outputs, committed in output order. */
  async #commit(step: PreparedStep): Promise<Result[]> {
    const { snapshotter: snap, refs } = this.#ctx;
    const results: Result[] = [];
    for (const a of step.actives.splice(0)) {
      const committed = await snap.commit(a.key);
      results[a.output] = await refs.child(a.parent, committed, this.#vertex.name);
    }
    for (let i = 0; i < results.length; i++) if (!results[i]) throw new Error(`RUN has no mount for output ${i}`);
    return results;
  }

  #hasSecret(id: string): boolean {
    const src = this.#ctx.secrets[id];
    return !!src && (!('env' in src) || process.env[src.env] !== undefined);
  }

  async #secretValue(id: string): Promise<Buffer> {
    const src = this.#secretSourceOrThrow(id);
    if ('env' in src) return Buffer.from(process.env[src.env] ?? '', 'utf8');
    try {
      return await readFile(src.file);
    } catch (e) {
      throw new MissingSecretError(`secret "${id}": cannot read ${src.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
}

function depth(p: string): number {
  return posix.normalize(p).split('/').filter(Boolean).length;
}
