// Shorthands for run() mounts: `mounts: [cache('/root/.npm'), bind('/src', context, { readonly: true })]`.
import type { BindMount, CacheMount, SecretMountSpec, SSHMountSpec, State, TmpfsMount } from './state.ts';

type Rest<T, K extends keyof T> = Omit<T, 'type' | K>;

export function bind(target: string, from: State, opts: Rest<BindMount, 'target' | 'from'> = {}): BindMount {
  return { type: 'bind', target, from, ...opts };
}
export function cache(target: string, opts: Rest<CacheMount, 'target'> = {}): CacheMount {
  return { type: 'cache', target, ...opts };
}
export function tmpfs(target: string, opts: Rest<TmpfsMount, 'target'> = {}): TmpfsMount {
  return { type: 'tmpfs', target, ...opts };
}
export function secret(id: string, opts: Rest<SecretMountSpec, 'id'> = {}): SecretMountSpec {
  return { type: 'secret', id, ...opts };
}
export function ssh(opts: Rest<SSHMountSpec, never> = {}): SSHMountSpec {
  return { type: 'ssh', ...opts };
}
