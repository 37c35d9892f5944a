// Disk usage and garbage collection of a root: mark from the image store and the kept cache
// records, sweep the rest in an order a killed process can leave at any point.
export { usage, type DiskUsage, type UsageCategory, type UsageCategoryName, type ResultUsage } from './usage.ts';
export { prune, untilCutoff, PruneFilterError, type PruneOptions, type PruneResult } from './prune.ts';
export { acquireBuildLock, acquirePruneLock, liveBuilds, locksDir, PruneLockedError, type BuildLockOptions, type LockHolder } from './build-lock.ts';
export { parseSize, parseDuration, parseUntil, formatBytes, UnitError } from './units.ts';
