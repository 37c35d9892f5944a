// The failure summary both text renderers end with: each failed step's last output lines, then
// the source lines it came from with the failing one marked, as Docker users know them.
import type { ProgressState, SourceLines, VertexState } from './state.ts';
import { isFailed } from './state.ts';
import { formatLogOffset } from './format.ts';

const rule = '------';
const sourceRule = '--------------------';

export function failedVertices(state: ProgressState): VertexState[] {
  const out: VertexState[] = [];
  for (const d of state.order) {
    const v = state.vertices.get(d);
    if (v !== undefined && isFailed(v)) out.push(v);
  }
  return out;
}

/** Lines (without newlines) describing every failed step; empty when nothing failed. */
export function failureReport(state: ProgressState): string[] {
  const lines: string[] = [];
  for (const v of failedVertices(state)) {
    lines.push(rule, ` > ${v.name}:`);
    for (const l of v.logTail) lines.push(`${formatLogOffset(l.offset)} ${l.text}`);
    lines.push(rule);
    if (v.sourceLines) lines.push(...sourceSnippet(v.sourceLines));
  }
  return lines;
}

/** `Dockerfile:3`, a rule, `   3 | >>> RUN make`, a rule. */
export function sourceSnippet(source: SourceLines): string[] {
  const marked = new Set(source.highlight);
  const first = source.highlight.length > 0 ? Math.min(...source.highlight) : source.lines[0]?.number;
  const width = Math.max(4, ...source.lines.map((l) => String(l.number).length));
  return [
    first === undefined ? source.file : `${source.file}:${first}`,
    sourceRule,
    ...source.lines.map((l) => `${String(l.number).padStart(width)} | ${marked.has(l.number) ? '>>>' : '   '} ${l.text}`.trimEnd()),
    sourceRule,
  ];
}
