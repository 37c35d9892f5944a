export { parseInstructions, parseInstruction, isStage, locate, locateAsync, instructionNames } from './parse.ts';
export { parseMount, csvFields } from './mount.ts';
export { parseDuration } from './duration.ts';
export { suggest, withSuggestion } from './suggest.ts';
export type * from './commands.ts';
