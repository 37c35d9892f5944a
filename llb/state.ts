// State: an immutable point in a build graph. It holds the output of an op (or nothing, for
// scratch) plus what later `run`s inherit — env, working dir, user, platform, network, hostname.
// Every method returns a new State and leaves the receiver untouched, so states can be shared,
// branched and reused freely; nothing runs until the graph is marshaled (marshal.ts) and solved.
import { posix } from 'node:path';
import { StateError } from './errors.ts';
import { ExecNode } from './exec-op.ts';
import type { FileAction } from './file-action.ts';
import { FileNode } from './file-op.ts';
import { EMPTY_PROPS, STATE_PROPS, type OpOptions, type Output, type StateProps } from './node.ts';
import { normalizePlatform, parsePlatform } from './platform.ts';
import { lowerMounts, type RunMount } from './run-mounts.ts';
import { NetMode, SecurityMode, type HostIP, type Platform, type ProxyEnv } from './pb/types.ts';

export type NetworkMode = 'sandbox' | 'host' | 'none';
export type SecurityModeName = 'sandbox' | 'insecure';

export type { BindMount, CacheMount, TmpfsMount, SecretMountSpec, SSHMountSpec, RunMount } from './run-mounts.ts';

export interface RunOptions extends OpOptions {
  /** Added to the state's env for this run only (applied in key order). */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory (relative paths resolve against the state's dir). */
  readonly cwd?: string;
  readonly user?: string;
  readonly mounts?: readonly RunMount[];
  readonly network?: NetworkMode;
  readonly security?: SecurityModeName;
  readonly hostname?: string;
  readonly extraHosts?: readonly { readonly host: string; readonly ip: string }[];
  readonly proxyEnv?: ProxyEnv;
  readonly validExitCodes?: readonly number[];
  /** Mount the root filesystem read-only: the run then has no root output. */
  readonly readonlyRootfs?: boolean;
}

export type FileOptions = OpOptions;

const networks: Record<NetworkMode, NetMode> = { sandbox: NetMode.UNSET, host: NetMode.HOST, none: NetMode.NONE };
const securities: Record<SecurityModeName, SecurityMode> = { sandbox: SecurityMode.SANDBOX, insecure: SecurityMode.INSECURE };

function sortedEntries(record: Readonly<Record<string, string>>): [string, string][] {
  // A record's key order is not something callers control (integer-like keys come first), so
  // env given as a record is applied in a fixed order.
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function setEnv(env: StateProps['env'], key: string, value: string): StateProps['env'] {
  if (key === '' || key.includes('=')) throw new StateError('invalid-option', `env: invalid variable name ${JSON.stringify(key)}`);
  // Replacing a variable moves it to the end, as BuildKit's env list does.
  return [...env.filter(([k]) => k !== key), [key, value]];
}

export class State {
  readonly #props: StateProps;

  /** Internal: States come from image(), local(), scratch(), git(), http(), ociLayout() and State methods. */
  constructor(props: StateProps) {
    this.#props = Object.freeze({ ...props });
  }

  /** @internal */
  get [STATE_PROPS](): StateProps {
    return this.#props;
  }

  /** @internal The output this state points at (undefined for scratch). */
  get output(): Output | undefined {
    return this.#props.output;
  }

  #with(patch: Partial<StateProps>): State {
    return new State({ ...this.#props, ...patch });
  }

  /** Applies state transformations in order: `s.with(withGo, withNode)`. */
  with(...fns: readonly ((s: State) => State)[]): State {
    return fns.reduce<State>((s, fn) => fn(s), this);
  }

  isScratch(): boolean {
    return this.#props.output === undefined;
  }

  /** Sets one variable (`env('A', '1')`) or several (`env({ A: '1', B: '2' })`, applied in key order). */
  env(key: string, value: string): State;
  env(vars: Readonly<Record<string, string>>): State;
  env(keyOrVars: string | Readonly<Record<string, string>>, value?: string): State {
    let env = this.#props.env;
    if (typeof keyOrVars === 'string') {
      if (typeof value !== 'string') throw new StateError('invalid-option', `env("${keyOrVars}"): a string value is required`);
      env = setEnv(env, keyOrVars, value);
    } else {
      for (const [k, v] of sortedEntries(keyOrVars)) env = setEnv(env, k, v);
    }
    return this.#with({ env });
  }

  /** The env as `KEY=value` lines in order, or one variable's value. */
  getEnv(): string[];
  getEnv(key: string): string | undefined;
  getEnv(key?: string): string[] | string | undefined {
    if (key !== undefined) return this.#props.env.find(([k]) => k === key)?.[1];
    return this.#props.env.map(([k, v]) => `${k}=${v}`);
  }

  /** Removes a variable. */
  unsetEnv(key: string): State {
    return this.#with({ env: this.#props.env.filter(([k]) => k !== key) });
  }

  /** Working directory for later runs and relative paths. Relative values resolve against the current dir. */
  dir(path: string): State {
    if (typeof path !== 'string' || path === '') throw new StateError('invalid-option', 'dir: a path is required');
    if (!posix.isAbsolute(path)) {
      const base = this.#props.dir;
      if (base === undefined) {
        throw new StateError(
          'relative-dir',
          `dir("${path}"): relative path, but the state has no working directory to resolve it against; use an absolute path such as "/${path}"`,
        );
      }
      path = posix.join(base, path);
    }
    return this.#with({ dir: posix.normalize(path) });
  }

  getDir(): string | undefined {
    return this.#props.dir;
  }

  user(name: string): State {
    return this.#with({ user: name });
  }

  getUser(): string | undefined {
    return this.#props.user;
  }

  /** Target platform of later ops (`'linux/arm64'` or a Platform). */
  platform(p: string | Platform): State {
    return this.#with({ platform: typeof p === 'string' ? parsePlatform(p) : normalizePlatform(p) });
  }

  getPlatform(): Platform | undefined {
    return this.#props.platform;
  }

  network(mode: NetworkMode): State {
    const m = networks[mode];
    if (m === undefined) throw new StateError('invalid-option', `network("${String(mode)}"): expected sandbox, host or none`);
    return this.#with({ network: m });
  }

  security(mode: SecurityModeName): State {
    const m = securities[mode];
    if (m === undefined) throw new StateError('invalid-option', `security("${String(mode)}"): expected sandbox or insecure`);
    return this.#with({ security: m });
  }

  hostname(name: string): State {
    return this.#with({ hostname: name });
  }

  addExtraHost(host: string, ip: string): State {
    return this.#with({ extraHosts: [...this.#props.extraHosts, { host, ip }] });
  }

  /**
   * Runs a command on this state's filesystem. An array runs as is; a string runs through
   * `/bin/sh -c`, like a Dockerfile's shell form. The result's root is the changed filesystem;
   * `getMount(target)` gives the result of a writable mount.
   */
  run(command: string | readonly string[], opts: RunOptions = {}): ExecState {
    const p = this.#props;
    const args = typeof command === 'string' ? (command.trim() === '' ? [] : ['/bin/sh', '-c', command]) : [...command];
    if (args.length === 0 || args[0] === '') {
      throw new StateError('empty-args', 'run: no command given; pass an argument array like ["echo", "hi"] or a shell string like "echo hi"');
    }
    let env = p.env;
    for (const [k, v] of sortedEntries(opts.env ?? {})) env = setEnv(env, k, v);
    const dir = p.dir ?? '/';
    const cwd = opts.cwd === undefined ? dir : posix.normalize(posix.isAbsolute(opts.cwd) ? opts.cwd : posix.join(dir, opts.cwd));
    const resolveTarget = (t: string) => {
      if (typeof t !== 'string' || t === '') throw new StateError('invalid-option', 'run: every mount needs a target path');
      return posix.normalize(posix.isAbsolute(t) ? t : posix.join(cwd, t));
    };

    const { fsMounts, secrets, ssh } = lowerMounts(opts.mounts ?? [], resolveTarget);

    const network = opts.network !== undefined ? networks[opts.network] : (p.network ?? NetMode.UNSET);
    if (network === undefined) throw new StateError('invalid-option', `run: network must be sandbox, host or none`);
    const security = opts.security !== undefined ? securities[opts.security] : (p.security ?? SecurityMode.SANDBOX);
    if (security === undefined) throw new StateError('invalid-option', `run: security must be sandbox or insecure`);
    const extraHosts: HostIP[] = [...p.extraHosts, ...(opts.extraHosts ?? []).map((h) => ({ host: h.host, ip: h.ip }))];

    const node = new ExecNode({
      base: p,
      args,
      env,
      cwd,
      user: opts.user ?? p.user,
      hostname: opts.hostname ?? p.hostname,
      network,
      security,
      extraHosts,
      proxyEnv: opts.proxyEnv,
      validExitCodes: opts.validExitCodes,
      readonlyRootfs: opts.readonlyRootfs ?? false,
      mounts: fsMounts,
      secrets,
      ssh,
      options: opts,
    });
    const root = node.mountOutput('/');
    return new ExecState({ ...p, output: root }, node);
  }

  /** Applies a chain of file actions (mkdir, mkfile, rm, symlink, copy) as one op. */
  file(action: FileAction, opts?: FileOptions): State {
    if (!action || typeof action.actions !== 'function') {
      throw new StateError('invalid-option', 'file: expected an action made by mkdir(), mkfile(), rm(), symlink() or copy()');
    }
    const node = new FileNode(this.#props.output, this.#props.dir, action.actions(), opts);
    return this.#with({ output: { node, index: 0 } });
  }
}

/** The state after a run: the root filesystem, plus access to the run's other mounts. */
export class ExecState extends State {
  readonly #node: ExecNode;

  constructor(props: StateProps, node: ExecNode) {
    super(props);
    this.#node = node;
  }

  /** The root filesystem after the run (this state itself). */
  root(): State {
    return new State(this[STATE_PROPS]);
  }

  /** The result of the mount at `target`: a fresh state (no env or dir) on that filesystem. */
  getMount(target: string): State {
    return new State({ ...EMPTY_PROPS, output: this.#node.mountOutput(posix.normalize(target)) });
  }
}

/** True for a State from any copy of tsbuild (the marker symbol is registered globally). */
export function isState(v: unknown): v is State {
  return typeof v === 'object' && v !== null && STATE_PROPS in v;
}
