// The per-stage state while compiling: the LLB State so far plus the image config being built.
import type { Platform, State } from '../../../llb/index.ts';
import type { ContainerConfig, HistoryEntry } from '../../../oci/index.ts';
import type { Command, Stage } from '../instructions/index.ts';
import type { EnvList } from './env-list.ts';

export interface ImageDraft {
  config: ContainerConfig;
  history: HistoryEntry[];
  author?: string;
}

export interface DispatchState {
  readonly index: number;
  readonly stage: Stage;
  /** `[<prefix> i/n]` in vertex names: the stage name, `stage-N`, or '' in one-stage files; led by the platform when several are built. */
  readonly prefix: string;
  commands: Command[];
  state: State;
  image: ImageDraft;
  /** The image/stage env (ENV and the base config), in order. */
  env: EnvList;
  /** ARG values in scope in this stage (unset ARGs are absent). */
  args: Map<string, string>;
  workdir: string;
  platform: Platform;
  /** CMD was set in this stage (an ENTRYPOINT otherwise clears an inherited CMD). */
  cmdSet: boolean;
  cmdIndex: number;
}
