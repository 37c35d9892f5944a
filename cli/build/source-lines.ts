// From a definition's source map to the lines a failed step came from, so the progress output can
// show them with the failing ones marked (BuildKit prints the same snippet).
import type { Definition, Digest } from '../../llb/index.ts';
import type { SourceLines } from '../progress/index.ts';

const CONTEXT = 2;

export function sourceLinesFor(def: Definition, digest: Digest): SourceLines | undefined {
  const source = def.source;
  const locations = source?.locations?.[digest]?.locations;
  if (!source || !locations?.length) return undefined;
  const first = locations[0]!;
  const info = source.infos?.[first.sourceIndex ?? 0];
  if (!info?.data) return undefined;
  const text = new TextDecoder().decode(info.data).split(/\r?\n/);
  const highlight: number[] = [];
  for (const loc of locations) {
    if ((loc.sourceIndex ?? 0) !== (first.sourceIndex ?? 0)) continue;
    for (const r of loc.ranges ?? []) {
      const start = r.start?.line ?? 0;
      const end = r.end?.line ?? start;
      for (let n = start; n <= end; n++) if (n > 0) highlight.push(n);
    }
  }
  if (highlight.length === 0) return undefined;
  const from = Math.max(1, Math.min(...highlight) - CONTEXT);
  const to = Math.min(text.length, Math.max(...highlight) + CONTEXT);
  const lines = [];
  for (let n = from; n <= to; n++) lines.push({ number: n, text: text[n - 1] ?? '' });
  return { file: info.filename ?? 'Dockerfile', lines, highlight: [...new Set(highlight)].sort((a, b) => a - b) };
}
