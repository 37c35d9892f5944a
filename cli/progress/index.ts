// Progress for a solve: one reducer over the solver's events, renderers that read its state.
// The Ink view lives in ./ink/ and is loaded lazily by selectRenderer.
export type { ProgressEvent, ProgressState, VertexState, StatusRow, LogLine, WarningEntry, SourceLines, SourceEvent, DoneEvent, TickEvent } from './state.ts';
export { initialProgressState, isFinished, isRunning, isFailed, elapsed } from './state.ts';
export { reduceProgress, reduceAll, eventTime } from './reducer.ts';
export type { ProgressRenderer, TextSink } from './renderer.ts';
export { createPlainRenderer, PlainPrinter, statusText } from './plain.ts';
export { createRawJsonRenderer, toSolveStatus } from './rawjson.ts';
export type { SolveStatusJson } from './rawjson.ts';
export { failureReport, sourceSnippet, failedVertices } from './failure.ts';
export { ProgressStore, systemTimers } from './store.ts';
export type { Timers, ProgressStoreOptions } from './store.ts';
export { selectRenderer, resolveMode, isProgressMode, progressModes } from './select.ts';
export type { ProgressMode, SelectOptions } from './select.ts';
export type { Clock } from './clock.ts';
export { systemClock } from './clock.ts';
export { formatBytes, formatSeconds, formatLogOffset } from './format.ts';
