// Typed Dockerfile instructions. Values are as written (before variable expansion): the
// converter expands them with the stage's environment at the point where each instruction runs.
import type { Instruction } from '../parser/index.ts';

export interface Located {
  /** The parsed instruction this command came from (keyword, original text, lines). */
  readonly node: Instruction;
}

export interface KeyValue {
  readonly key: string;
  readonly value: string;
  /** Legacy `ENV k v` form. */
  readonly noDelim: boolean;
}

export interface ArgDef {
  readonly key: string;
  /** Undefined for a bare `ARG NAME`. */
  readonly value?: string;
}

/** A heredoc used as a file: COPY/ADD source, or a RUN script. */
export interface InlineFile {
  readonly name: string;
  readonly data: string;
  readonly expand: boolean;
  readonly chomp: boolean;
}

export interface CommandLine {
  readonly cmdLine: readonly string[];
  /** Shell form: run through SHELL (default `/bin/sh -c`). */
  readonly prependShell: boolean;
  readonly files: readonly InlineFile[];
}

export type MountKind = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
export type CacheSharing = 'shared' | 'private' | 'locked';

export interface RunMount {
  readonly type: MountKind;
  readonly from?: string;
  readonly source?: string;
  readonly target?: string;
  readonly readOnly: boolean;
  readonly id?: string;
  readonly sharing?: CacheSharing;
  readonly required: boolean;
  /** tmpfs size in bytes. */
  readonly size?: number;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  /** Secret exposed as this environment variable. */
  readonly env?: string;
}

export interface RunCommand extends Located, CommandLine {
  readonly kind: 'run';
  /** Raw `--mount` values; parsed with expansion at conversion. */
  readonly mounts: readonly string[];
  readonly network?: 'default' | 'none' | 'host';
  readonly security?: 'sandbox' | 'insecure';
  readonly devices: readonly string[];
}

export interface SourcesAndDest {
  readonly sources: readonly string[];
  readonly contents: readonly InlineFile[];
  readonly dest: string;
}

export interface CopyCommand extends Located, SourcesAndDest {
  readonly kind: 'copy';
  readonly from: string;
  readonly chown: string;
  readonly chmod: string;
  readonly link: boolean;
  readonly parents: boolean;
  readonly excludes: readonly string[];
}

export interface AddCommand extends Located, SourcesAndDest {
  readonly kind: 'add';
  readonly chown: string;
  readonly chmod: string;
  readonly link: boolean;
  readonly keepGitDir?: boolean;
  readonly checksum: string;
  readonly unpack?: boolean;
  readonly excludes: readonly string[];
}

export interface HealthConfigValue {
  readonly test: readonly string[];
  readonly interval?: number;
  readonly timeout?: number;
  readonly startPeriod?: number;
  readonly startInterval?: number;
  readonly retries?: number;
}

export type Command =
  | (Located & { readonly kind: 'env'; readonly env: readonly KeyValue[] })
  | (Located & { readonly kind: 'label'; readonly labels: readonly KeyValue[] })
  | (Located & { readonly kind: 'maintainer'; readonly maintainer: string })
  | (Located & { readonly kind: 'workdir'; readonly path: string })
  | (Located & { readonly kind: 'user'; readonly user: string })
  | (Located & { readonly kind: 'shell'; readonly shell: readonly string[] })
  | (Located & { readonly kind: 'stopsignal'; readonly signal: string })
  | (Located & { readonly kind: 'expose'; readonly ports: readonly string[] })
  | (Located & { readonly kind: 'volume'; readonly volumes: readonly string[] })
  | (Located & { readonly kind: 'arg'; readonly args: readonly ArgDef[] })
  | (Located & { readonly kind: 'onbuild'; readonly expression: string })
  | (Located & { readonly kind: 'healthcheck'; readonly health: HealthConfigValue })
  | (Located & CommandLine & { readonly kind: 'cmd' })
  | (Located & CommandLine & { readonly kind: 'entrypoint' })
  | RunCommand
  | CopyCommand
  | AddCommand;

export interface Stage {
  readonly node: Instruction;
  /** Image reference, `scratch`, or an earlier stage's name (may contain `$ARG`s). */
  readonly baseName: string;
  /** Lower-cased `AS` name, '' when unnamed. */
  readonly name: string;
  readonly platform: string;
  readonly commands: Command[];
}

export interface ParsedDockerfile {
  readonly stages: Stage[];
  /** ARGs before the first FROM. */
  readonly metaArgs: Extract<Command, { kind: 'arg' }>[];
}
