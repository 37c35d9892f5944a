export { resolveInRoot, resolveExisting, pathInRoot, splitPath, RootPathError, type ResolveOptions } from './resolve-in-root.ts';
export { isWhiteout, lookupInLayers, type Ancestor, type LayeredEntry } from './layered.ts';
