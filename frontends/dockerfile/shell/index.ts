// Shell-style word expansion of Dockerfile arguments ($VAR, ${VAR:-x}, quotes, escapes).
export { processWord, processWords, envFromMap, emptyEnv, ShellSyntaxError } from './lex.ts';
export type { EnvLookup, LexOptions, WordResult } from './lex.ts';
