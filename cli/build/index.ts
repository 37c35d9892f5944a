// One build end to end (options → request → frontend → solve → exports), shared by the build,
// solve and debug commands and by watch mode.
export { buildUsage, solveUsage, parseBuildArgs, type BuildOptions } from './build-options.ts';
export { runBuildCommand, buildOnce, summarize, findBuildFile } from './build-command.ts';
export { compileBuild, openExecutor, runBuild, type BuildHooks, type BuildResult, type CompiledBuild } from './run-build.ts';
export { plainRequest, type BuildRequest, type SecretSource } from './request.ts';
export { ownPaths } from './own-paths.ts';
export { preloadFrontends } from './frontend-select.ts';
export { writeBuildFiles, type ExportSummary } from './export-result.ts';
export { printExplanations } from './explain-build.ts';
