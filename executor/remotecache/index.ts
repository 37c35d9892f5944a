// Build cache in and out of this state root: which results go into an exported cache, and how
// an imported one becomes local records over lazy refs.
export { collectCacheEntries, type CollectOptions, type CollectedCache } from './collect.ts';
export { importCacheEntries, type ImportSummary } from './import.ts';
