// Errors from a build program, pointing at the user's own code: `build.ts:12:7: message`.
// The location is the first stack frame in one of the program's files, so a StateError thrown
// inside tsbuild is reported where the program called it.
import { relative } from 'node:path';
import { cleanModuleURL } from './module-hooks.ts';

export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column?: number;
}

export class BuildProgramError extends Error {
  override name = 'BuildProgramError';
  readonly location: SourceLocation | undefined;
  /** The program's files loaded before it failed (absolute paths): what watch mode watches. */
  readonly dependencies: readonly string[];
  constructor(message: string, location?: SourceLocation, options?: ErrorOptions & { dependencies?: readonly string[] }) {
    const where = location
      ? `${relative(process.cwd(), location.file) || location.file}:${location.line}${location.column ? `:${location.column}` : ''}: `
      : '';
    super(where + message, options);
    this.location = location;
    this.dependencies = options?.dependencies ?? [];
  }
}

const frameRe = /(file:\/\/[^\s)]+):(\d+):(\d+)/g;

/** The first location in `stack` that lies in one of `files` (absolute paths). */
export function locateInStack(err: unknown, files: ReadonlySet<string>): SourceLocation | undefined {
  const stack = err instanceof Error ? (err.stack ?? '') : '';
  // A syntax error starts with the module and line, then the source line: `file:///…/build.ts:3`
  // for JavaScript syntax, a plain path `/…/lib.ts:3` for TypeScript syntax that cannot be stripped.
  const head = /^((?:file:\/\/)?\/\S+?):(\d+)\n/.exec(stack);
  if (head && files.has(cleanModuleURL(head[1]!))) return { file: cleanModuleURL(head[1]!), line: Number(head[2]) };
  for (const m of stack.matchAll(frameRe)) {
    const file = cleanModuleURL(m[1]!);
    if (files.has(file)) return { file, line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
