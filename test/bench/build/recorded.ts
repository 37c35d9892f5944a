// BuildKit's recorded figures, for --recorded only: the peers' results file (the shared bench
// folder's, else this folder's copy), else docs/design.md's table.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { designFigures } from './cases.ts';
import type { PeersFolder } from './peers.ts';
import type { Baseline } from './report.ts';

/** `| c-bigctx | touch | 0.97 ± 0.07 [0.89] | …`: the docker column's mean. */
export function parsePeerResults(text: string): Map<string, number> {
  const seconds = new Map<string, number>();
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((s) => s.trim());
    const mean = /^([\d.]+)\s*±/.exec(cells[3] ?? '');
    if (cells.length > 4 && mean) seconds.set(`${cells[1]} ${cells[2]}`, Number(mean[1]));
  }
  return seconds;
}

export function recordedBaseline(peers: PeersFolder, benchDir: string): Baseline {
  const files = [...(peers.dir ? [join(dirname(peers.dir), 'bench/results-peers.md')] : []), join(benchDir, 'results-peers.md')];
  for (const file of files) {
    if (!existsSync(file)) continue;
    const seconds = parsePeerResults(readFileSync(file, 'utf8'));
    if (seconds.size > 0) return { kind: 'recorded', source: `docker build (BuildKit) means recorded in ${file}`, seconds };
  }
  return { kind: 'recorded', source: "the BuildKit figures recorded in docs/design.md's performance table", seconds: new Map(Object.entries(designFigures)) };
}
