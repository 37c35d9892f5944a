// The AST printed as BuildKit's `Node.Dump()` prints it: one S-expression per instruction,
// strings quoted as Go's strconv.Quote does. Used by the parser conformance suite and
// `tsbuild debug dump-dockerfile`.
import { goQuote, goQuoteList } from './go-text.ts';
import type { DockerfileAst, Instruction } from './node.ts';

export function dumpInstruction(node: Instruction): string {
  let out = node.keyword.toLowerCase();
  if (node.flags.length > 0) out += ' ' + goQuoteList(node.flags);
  for (const arg of node.args) out += ' ' + goQuote(arg);
  if (node.sub) out += ' (' + dumpInstruction(node.sub) + ')';
  return out.trim();
}

/** The whole file; no trailing newline (BuildKit's test harness appends one). */
export function dumpAst(ast: DockerfileAst): string {
  return ast.instructions.map((n) => '(' + dumpInstruction(n) + ')').join('\n');
}
