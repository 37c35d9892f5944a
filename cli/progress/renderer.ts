import type { SolveEvent } from '../../solver/index.ts';
import type { SourceEvent } from './state.ts';

/** What a command feeds: the solver's events (plus source lines it knows), then the outcome. */
export interface ProgressRenderer {
  onEvent(event: SolveEvent | SourceEvent): void;
  /** The build ended (with `error` if it failed); resolves once everything is written. */
  done(error?: unknown): Promise<void>;
}

/** The subset of a writable stream the renderers use. */
export interface TextSink {
  write(chunk: string): unknown;
}

export function errorMessage(error: unknown): string | undefined {
  if (error === undefined || error === null) return undefined;
  return error instanceof Error ? error.message : String(error);
}
