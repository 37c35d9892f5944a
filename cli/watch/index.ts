// Watch mode: rebuild when a file the build read changes.
export { watchBuild } from './watch-build.ts';
export { Watcher } from './watcher.ts';
export { FileWatch, type WatchSet } from './file-watch.ts';
export { watchSetAfterFailure, watchSetFor } from './watch-set.ts';
