export { isAlive } from './alive.ts';
export { processIdentity } from './identity.ts';
