// Watch mode: rebuild when a file the build read changes.
export { watchBuild } from './watch-build.ts';
