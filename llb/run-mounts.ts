// RUN's mounts as a build program gives them (bind, cache, tmpfs, secret, ssh) and their lowering
// to the exec op's mounts: targets made absolute against the step's working directory, sources
// named by their states' outputs, defaults filled in as BuildKit fills them.
import type { FsMount, SecretMount, SSHMount } from './exec-op.ts';
import { StateError } from './errors.ts';
import { propsOf } from './node.ts';
import { CacheSharingOpt, MountContentCache } from './pb/types.ts';
import type { State } from './state.ts';

/** Mount a state's filesystem (or a path inside it) at `target`. */
export interface BindMount {
  readonly type: 'bind';
  readonly target: string;
  readonly from: State;
  /** Path inside `from` to mount (default: its root). */
  readonly source?: string;
  readonly readonly?: boolean;
  /** Writable, but its changes are thrown away. */
  readonly noOutput?: boolean;
  readonly contentCache?: 'default' | 'on' | 'off';
}
/** A persistent cache directory shared between builds, keyed by `id` (default: the target). */
export interface CacheMount {
  readonly type: 'cache';
  readonly target: string;
  readonly id?: string;
  readonly sharing?: 'shared' | 'private' | 'locked';
  /** Initial contents for a new cache. */
  readonly from?: State;
  readonly source?: string;
}
export interface TmpfsMount {
  readonly type: 'tmpfs';
  readonly target: string;
  /** Size limit in bytes. */
  readonly size?: number;
}
/** A secret from the build's secret store, as a file (`target`, default /run/secrets/<id>) and/or an env var. */
export interface SecretMountSpec {
  readonly type: 'secret';
  readonly id: string;
  readonly target?: string;
  readonly env?: string;
  readonly uid?: number;
  readonly gid?: number;
  readonly mode?: number;
  readonly required?: boolean;
}
/** The build's SSH agent socket. */
export interface SSHMountSpec {
  readonly type: 'ssh';
  readonly id?: string;
  readonly target?: string;
  readonly uid?: number;
  readonly gid?: number;
  readonly mode?: number;
  readonly required?: boolean;
}
export type RunMount = BindMount | CacheMount | TmpfsMount | SecretMountSpec | SSHMountSpec;

const sharings = { shared: CacheSharingOpt.SHARED, private: CacheSharingOpt.PRIVATE, locked: CacheSharingOpt.LOCKED } as const;
const contentCaches = { default: MountContentCache.DEFAULT, on: MountContentCache.ON, off: MountContentCache.OFF } as const;

export interface LoweredMounts {
  readonly fsMounts: FsMount[];
  readonly secrets: SecretMount[];
  readonly ssh: SSHMount[];
}

/** `resolveTarget` makes a mount target absolute (and refuses an empty one). */
export function lowerMounts(mounts: readonly RunMount[], resolveTarget: (target: string) => string): LoweredMounts {
  const fsMounts: FsMount[] = [];
  const secrets: SecretMount[] = [];
  const ssh: SSHMount[] = [];
  for (const m of mounts) {
    switch (m?.type) {
      case 'bind':
        fsMounts.push({
          target: resolveTarget(m.target),
          source: propsOf(m.from, `bind mount at ${m.target}`).output,
          readonly: m.readonly ?? false,
          ...(m.source && m.source !== '/' ? { selector: m.source } : {}),
          ...(m.noOutput ? { noOutput: true } : {}),
          ...(m.contentCache && m.contentCache !== 'default' ? { contentCache: contentCaches[m.contentCache] } : {}),
        });
        break;
      case 'cache': {
        const target = resolveTarget(m.target);
        const sharing = sharings[m.sharing ?? 'shared'];
        if (sharing === undefined) throw new StateError('invalid-option', `cache mount at ${m.target}: sharing must be shared, private or locked`);
        fsMounts.push({
          target,
          source: m.from ? propsOf(m.from, `cache mount at ${m.target}`).output : undefined,
          readonly: false,
          ...(m.source && m.source !== '/' ? { selector: m.source } : {}),
          cache: { id: m.id ?? target, sharing },
        });
        break;
      }
      case 'tmpfs':
        fsMounts.push({ target: resolveTarget(m.target), source: undefined, readonly: false, tmpfs: m.size ? { size: m.size } : {} });
        break;
      case 'secret': {
        if (!m.id) throw new StateError('invalid-option', 'secret mount: an id is required');
        const target = m.target !== undefined ? resolveTarget(m.target) : m.env === undefined ? `/run/secrets/${m.id}` : undefined;
        secrets.push({
          id: m.id,
          ...(target !== undefined ? { target } : {}),
          ...(m.env !== undefined ? { env: m.env } : {}),
          uid: m.uid ?? 0,
          gid: m.gid ?? 0,
          mode: m.mode ?? 0o400,
          optional: !(m.required ?? false),
        });
        break;
      }
      case 'ssh':
        ssh.push({
          id: m.id ?? 'default',
          target: m.target !== undefined ? resolveTarget(m.target) : `/run/buildkit/ssh_agent.${ssh.length}`,
          uid: m.uid ?? 0,
          gid: m.gid ?? 0,
          mode: m.mode ?? 0o600,
          optional: !(m.required ?? false),
        });
        break;
      default:
        throw new StateError('invalid-option', `run: unknown mount ${JSON.stringify(m)}; expected type bind, cache, tmpfs, secret or ssh`);
    }
  }
  return { fsMounts, secrets, ssh };
}
