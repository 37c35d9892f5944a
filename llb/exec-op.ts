// The exec node: one process run over a root filesystem plus mounts. Marshals to pb.ExecOp the
// way BuildKit's client does, so digests match: the root and the other filesystem mounts sorted
// by target (bytewise), inputs deduplicated in that order, one output per writable mount,
// secret and ssh mounts appended after them, `removeMountStubsRecursive` set, and a default PATH
// when the state has none.
import { compareStrings } from './bytes.ts';
import { StateError } from './errors.ts';
import { opInputs, opMetadata, pbPlatform, type MarshalContext, type MarshaledOp, type Node, type OpOptions, type Output, type StateProps } from './node.ts';
import {
  EMPTY_INPUT,
  MountType,
  NetMode,
  SKIP_OUTPUT,
  type CacheSharingOpt,
  type ExecOp,
  type HostIP,
  type Meta,
  type Mount,
  type MountContentCache,
  type ProxyEnv,
  type SecretEnv,
  type SecurityMode,
} from './pb/types.ts';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A filesystem mount of an exec (root, bind, cache, tmpfs), with its source already resolved. */
export interface FsMount {
  readonly target: string;
  readonly source: Output | undefined;
  readonly readonly: boolean;
  readonly selector?: string;
  readonly noOutput?: boolean;
  readonly cache?: { readonly id: string; readonly sharing: CacheSharingOpt };
  readonly tmpfs?: { readonly size?: number };
  readonly contentCache?: MountContentCache;
}

export interface SecretMount {
  readonly id: string;
  readonly target?: string;
  readonly env?: string;
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
  readonly optional: boolean;
}

export interface SSHMount {
  readonly id: string;
  readonly target: string;
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
  readonly optional: boolean;
}

export interface ExecSpec {
  readonly base: StateProps;
  readonly args: readonly string[];
  readonly env: readonly (readonly [string, string])[];
  readonly cwd: string;
  readonly user: string | undefined;
  readonly hostname: string | undefined;
  readonly network: NetMode;
  readonly security: SecurityMode;
  readonly extraHosts: readonly HostIP[];
  readonly proxyEnv: ProxyEnv | undefined;
  readonly validExitCodes: readonly number[] | undefined;
  readonly readonlyRootfs: boolean;
  readonly mounts: readonly FsMount[]; // without the root mount
  readonly secrets: readonly SecretMount[];
  readonly ssh: readonly SSHMount[];
  readonly options: OpOptions | undefined;
}

function hasOutput(m: FsMount): boolean {
  return !m.noOutput && !m.readonly && !m.cache && !m.tmpfs;
}

export class ExecNode implements Node {
  readonly spec: ExecSpec;
  /** Root plus filesystem mounts, sorted by target as BuildKit sorts them. */
  readonly mounts: readonly FsMount[];
  readonly inputs: readonly Output[];
  readonly #outputIndex: ReadonlyMap<FsMount, number>;

  constructor(spec: ExecSpec) {
    if (spec.args.length === 0) throw new StateError('empty-args', 'run: no command given; pass an argument array like ["echo", "hi"] or a shell string');
    const root: FsMount = { target: '/', source: spec.base.output, readonly: spec.readonlyRootfs };
    const mounts = [root, ...spec.mounts].sort((a, b) => compareStrings(a.target, b.target));
    for (let i = 1; i < mounts.length; i++) {
      if (mounts[i]!.target === mounts[i - 1]!.target) {
        throw new StateError('duplicate-mount', `run: two mounts at ${mounts[i]!.target}; each mount needs its own target`);
      }
    }
    for (const m of mounts) {
      if (m.tmpfs && m.source) throw new StateError('invalid-option', `run: tmpfs mount at ${m.target} cannot have a source`);
    }
    const outputIndex = new Map<FsMount, number>();
    for (const m of mounts) if (hasOutput(m)) outputIndex.set(m, outputIndex.size);
    this.spec = spec;
    this.mounts = mounts;
    this.#outputIndex = outputIndex;
    const seen = new Set<Output>();
    this.inputs = mounts.flatMap((m) => (m.source && !seen.has(m.source) && seen.add(m.source) ? [m.source] : []));
  }

  /** The output of the mount at `target`: its own result if writable, its source if read-only. */
  mountOutput(target: string): Output | undefined {
    const m = this.mounts.find((x) => x.target === target);
    if (!m) throw new StateError('no-mount', `getMount("${target}"): the run has no mount at ${target}`);
    if (m.readonly) return m.source;
    const index = this.#outputIndex.get(m);
    if (index === undefined) {
      const kind = m.tmpfs ? 'a tmpfs mount' : m.cache ? 'a cache mount' : 'a mount marked noOutput';
      throw new StateError('mount-has-no-output', `getMount("${target}"): ${kind} has no output to build on`);
    }
    return { node: this, index };
  }

  marshal(ctx: MarshalContext): MarshaledOp {
    const { spec } = this;
    const { inputs, indexOf: inputIndex } = opInputs(ctx);
    const caps = new Set<string>(['exec.meta.base']);

    const mounts: Mount[] = this.mounts.map((m) => {
      const pm: { -readonly [K in keyof Mount]: Mount[K] } = {
        input: inputIndex(m.source),
        dest: m.target,
        output: this.#outputIndex.get(m) ?? SKIP_OUTPUT,
      };
      if (m.selector) {
        pm.selector = m.selector;
        caps.add('exec.mount.selector');
      }
      if (m.readonly) pm.readonly = true;
      if (m.cache) {
        pm.mountType = MountType.CACHE;
        pm.cacheOpt = { id: m.cache.id, sharing: m.cache.sharing };
        caps.add('exec.mount.cache').add('exec.mount.cache.sharing');
      } else if (m.tmpfs) {
        pm.mountType = MountType.TMPFS;
        pm.tmpfsOpt = m.tmpfs.size ? { size: m.tmpfs.size } : {};
        caps.add('exec.mount.tmpfs');
        if (m.tmpfs.size) caps.add('exec.mount.tmpfs.size');
      } else if (m.source) {
        caps.add('exec.mount.bind');
      }
      if (m.contentCache) {
        pm.contentCache = m.contentCache;
        caps.add('exec.mount.cache.content');
      }
      return pm;
    });

    const secretenv: SecretEnv[] = [];
    for (const s of spec.secrets) {
      if (s.env !== undefined) secretenv.push({ id: s.id, name: s.env, optional: s.optional });
      if (s.target !== undefined) {
        mounts.push({
          input: EMPTY_INPUT,
          dest: s.target,
          mountType: MountType.SECRET,
          secretOpt: { id: s.id, uid: s.uid, gid: s.gid, mode: s.mode, optional: s.optional },
        });
      }
    }
    if (spec.secrets.length) caps.add('exec.mount.secret');
    if (secretenv.length) caps.add('exec.secretenv');
    for (const s of spec.ssh) {
      mounts.push({
        input: EMPTY_INPUT,
        dest: s.target,
        mountType: MountType.SSH,
        sshOpt: { id: s.id, uid: s.uid, gid: s.gid, mode: s.mode, optional: s.optional },
      });
    }
    if (spec.ssh.length) caps.add('exec.mount.ssh');

    const env = [...spec.env];
    if (spec.ssh[0] && !env.some(([k]) => k === 'SSH_AUTH_SOCK')) env.push(['SSH_AUTH_SOCK', spec.ssh[0].target]);
    const platform = spec.base.platform ?? ctx.platform;
    if (platform.os !== 'windows' && !env.some(([k]) => k === 'PATH')) env.push(['PATH', DEFAULT_PATH]);

    const meta: { -readonly [K in keyof Meta]: Meta[K] } = {
      args: [...spec.args],
      env: env.map(([k, v]) => `${k}=${v}`),
      cwd: spec.cwd,
    };
    if (spec.user) meta.user = spec.user;
    if (spec.proxyEnv) {
      meta.proxyEnv = { ...spec.proxyEnv };
      caps.add('exec.meta.proxyenv');
    }
    if (spec.extraHosts.length) meta.extraHosts = spec.extraHosts.map((h) => ({ ...h }));
    if (spec.hostname) meta.hostname = spec.hostname;
    meta.removeMountStubsRecursive = true;
    if (spec.validExitCodes) {
      meta.validExitCodes = [...spec.validExitCodes];
      caps.add('exec.validexitcode');
    }
    if (spec.network !== NetMode.UNSET) caps.add('exec.meta.network');
    if (spec.security !== 0) caps.add('exec.meta.security');

    const exec: { -readonly [K in keyof ExecOp]: ExecOp[K] } = { meta, mounts };
    if (spec.network) exec.network = spec.network;
    if (spec.security) exec.security = spec.security;
    if (secretenv.length) exec.secretenv = secretenv;

    return {
      op: { inputs, exec, platform: pbPlatform(platform), constraints: {} },
      metadata: opMetadata(spec.options, [...caps]),
    };
  }
}
