// Parser directives: `# syntax=…`, `# escape=…`, `# check=…` comment lines at the very top of
// the file. The first line that is not a directive ends the directive block for good.
import { InstructionError } from '../errors.ts';
import type { Directive } from './node.ts';

const directiveLine = /^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$/;
const known = new Set(['syntax', 'escape', 'check']);

export class DirectiveScanner {
  private line = 0;
  private done = false;
  private readonly seen = new Set<string>();
  readonly found: Directive[] = [];
  private readonly commentPrefix: string;

  constructor(commentPrefix = '#') {
    this.commentPrefix = commentPrefix;
  }

  /** Feeds one physical line (newline removed); returns the directive it holds, if any. */
  scan(text: string): Directive | undefined {
    this.line++;
    if (this.done) return undefined;
    if (!text.startsWith(this.commentPrefix)) {
      this.done = true;
      return undefined;
    }
    const m = directiveLine.exec(text.slice(this.commentPrefix.length).replace(/^\p{White_Space}+/u, ''));
    const name = m?.[1]?.toLowerCase();
    if (!m || name === undefined || !known.has(name)) {
      this.done = true;
      return undefined;
    }
    if (this.seen.has(name)) throw new InstructionError(`only one ${name} parser directive can be used`);
    this.seen.add(name);
    const d: Directive = { name: name as Directive['name'], value: m[2] ?? '', line: this.line };
    this.found.push(d);
    return d;
  }
}

/**
 * The `syntax` directive of a build description, also in `// syntax=` and JSON
 * `{"syntax": …}` forms and after a shebang line, as BuildKit's DetectSyntax reads it.
 */
export function detectSyntax(text: string): string | undefined {
  let body = text.replace(/^\uFEFF/, '');
  if (body.startsWith('#!')) {
    const nl = body.indexOf('\n');
    body = nl < 0 ? '' : body.slice(nl + 1);
  }
  for (const prefix of ['#', '//']) {
    const scanner = new DirectiveScanner(prefix);
    try {
      for (const line of body.split('\n')) {
        scanner.scan(line.replace(/\r$/, ''));
        const d = scanner.found.find((x) => x.name === 'syntax');
        if (d) return d.value.split(' ')[0];
      }
    } catch {
      // a repeated directive: whatever was found first stands
    }
  }
  try {
    const json: unknown = JSON.parse(body);
    if (json && typeof json === 'object' && typeof (json as Record<string, unknown>).syntax === 'string') {
      return (json as Record<string, string>).syntax;
    }
  } catch {
    // not JSON
  }
  return undefined;
}
