// Explanations as lines for plain output and the UI: `#5 [2/4] COPY src/ /app: src/index.ts changed`.
import type { Digest } from '../../llb/index.ts';

export interface FormatOptions {
  /**
   * The `#N` shown for each vertex, so lines agree with the progress output's numbering.
   * Default: the vertex's 1-based position in `vertices`.
   */
  readonly numbers?: ReadonlyMap<Digest, number> | undefined;
}

/** One line per explained vertex, in the order of `vertices` (a BuildRecord's, or a graph's `order`). */
export function formatExplanations(
  vertices: readonly { readonly digest: Digest; readonly name: string }[],
  explanations: ReadonlyMap<Digest, string>,
  options: FormatOptions = {},
): string[] {
  const lines: string[] = [];
  vertices.forEach((v, i) => {
    const reason = explanations.get(v.digest);
    if (reason === undefined) return;
    const n = options.numbers?.get(v.digest) ?? i + 1;
    lines.push(`#${n} ${v.name}: ${reason}`);
  });
  return lines;
}
