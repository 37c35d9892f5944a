// The contract between exec ops and whatever runs a process in a container.

/** The container's root: a ready directory, or an overlay the runner mounts for the run. */
export type RootfsMount = string | OverlayRootfs;

export interface OverlayRootfs {
  readonly type: 'overlay';
  /** Topmost first, as overlayfs's `lowerdir=` lists them. */
  readonly lowerdirs: readonly string[];
  readonly upperdir: string;
  readonly workdir: string;
}

/**
 * Extra mounts, applied in order after the root. A `bind` of a file or socket is how secrets and
 * SSH agent sockets reach the process; `overlay` lets a writable non-root snapshot be mounted.
 */
export type RunnerMount =
  | { readonly type: 'bind'; readonly source: string; readonly destination: string; readonly readonly?: boolean }
  | { readonly type: 'tmpfs'; readonly destination: string; /** bytes; unlimited when absent */ readonly size?: number }
  | {
      readonly type: 'overlay';
      readonly destination: string;
      readonly lowerdirs: readonly string[];
      /** Both absent: a read-only overlay of the lower dirs. */
      readonly upperdir?: string;
      readonly workdir?: string;
    };

export interface ProcessSpec {
  readonly args: readonly string[];
  /** `KEY=value` entries; a default PATH is added when none is given. */
  readonly env?: readonly string[];
  /** Absolute path inside the container; created (owned by the user) when missing. Default `/`. */
  readonly cwd?: string;
  /** `name`, `uid`, `name:group`, `uid:gid` (names resolved through the rootfs). Default root. */
  readonly user?: string;
}

export type NetworkMode = 'none' | 'host';

export interface ExtraHost {
  readonly host: string;
  readonly ip: string;
}

export interface RunOptions {
  readonly rootfs: RootfsMount;
  readonly mounts?: readonly RunnerMount[];
  readonly process: ProcessSpec;
  /** Default `tsbuild`. */
  readonly hostname?: string;
  /** Default `none`: a fresh network namespace with only loopback. */
  readonly network?: NetworkMode;
  readonly extraHosts?: readonly ExtraHost[];
  readonly readonlyRootfs?: boolean;
  /** Receive output as the process writes it. */
  readonly stdout?: (chunk: Uint8Array) => void;
  readonly stderr?: (chunk: Uint8Array) => void;
  readonly signal?: AbortSignal;
  /** Exit codes that count as success; default `[0]`. Any other code rejects with ProcessFailedError. */
  readonly validExitCodes?: readonly number[];
}

export interface RunResult {
  readonly exitCode: number;
}

export interface Runner {
  /** The OCI runtime's name (`runc`, `crun`). */
  readonly name: string;
  /** Rejects with RunnerUnavailableError when this machine cannot run containers. */
  check(): Promise<void>;
  run(options: RunOptions): Promise<RunResult>;
  /** Waits for cleanup the runner does after runs return; call before the process ends. */
  close?(): Promise<void>;
}
