// The public build API of tsbuild (`import { image, run, … } from 'tsbuild'`) and the LLB wire format.
export type * from './pb/types.ts';
export { NetMode, SecurityMode, MountType, CacheSharingOpt, MountContentCache, EMPTY_INPUT, SKIP_OUTPUT, ROOT_MOUNT, CUSTOM_NAME } from './pb/types.ts';
