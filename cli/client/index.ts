// tsbuild's programmatic API (`import { build } from 'tsbuild/client'`): builds from a Node
// program on the engine `tsbuild build` runs, with the same events and errors as data.
export { build, type BuildOptions, type BuildOutput, type BuildRun } from './build.ts';
export { BuildError, BuildInputError } from './errors.ts';
export type { BuildEvent, FrontendWarningEvent } from './events.ts';
export type { SourceEvent, SourceLines } from '../progress/index.ts';
export type { SolveEvent, VertexEvent, StatusEvent, LogEvent, WarningEvent } from '../../solver/index.ts';
export type { SecretSource } from '../build/index.ts';
export { watch, type WatchOptions, type WatchRun, type WatchEvent, type BuildStartedEvent, type BuildFinishedEvent } from './watch.ts';
