export type * from './types.ts';
export { MediaType } from './types.ts';
