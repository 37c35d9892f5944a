export { isAlive } from './alive.ts';
