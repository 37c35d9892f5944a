// Wasted bytes in images: build warnings, `tsbuild inspect`, and the --fail-on-waste limit.
export { parseWasteThreshold, exceeds, describeThreshold, type WasteThreshold } from './threshold.ts';
export { buildWaste, stepLabel, MIN_WARNED_BYTES, type BuildWaste, type BuildWasteOptions, type WasteWarning } from './build-warnings.ts';
