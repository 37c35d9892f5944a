export { resolveInRoot, resolveExisting, pathInRoot, splitPath, RootPathError, type ResolveOptions } from './resolve-in-root.ts';
