export { typescriptFrontend } from './frontend.ts';
export { loadBuildProgram } from './load-program.ts';
export type { ResolvedTarget, LoadedProgram, LoadOptions } from './load-program.ts';
export { BuildProgramError } from './errors.ts';
export type { SourceLocation } from './errors.ts';
export { imageConfigFor } from './image-config.ts';
export { registerModuleHooks } from './module-hooks.ts';
