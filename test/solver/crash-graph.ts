// The graph the crash test solves: a part shared by every run (so reruns load from the cache)
// and a part that depends on the run's seed (so every run also has fresh work to be killed in).
import { FakeGraph, type Ref } from './fakes.ts';

export function crashGraph(seed: number): { graph: FakeGraph; target: Ref } {
  const g = new FakeGraph();
  const layer = (prefix: string, width: number, depth: number, base: Ref[], tag: string): Ref[] => {
    let prev = base;
    for (let d = 0; d < depth; d++) {
      const next: Ref[] = [];
      for (let w = 0; w < width; w++) {
        const ins = prev.length ? [prev[w % prev.length]!, prev[(w * 7 + d) % prev.length]!] : [];
        next.push(
          ins.length ? g.sum(`${prefix}${d}.${w}`, ins, { value: w + d, seed: tag, content: w % 3 === 0 }) : g.const(`${prefix}${d}.${w}`, w, { seed: tag }),
        );
      }
      prev = next;
    }
    return prev;
  };
  const shared = layer('shared-', 6, 8, [], 'shared');
  const own = layer(`run${seed}-`, 12, 30, shared, `run${seed}`);
  return { graph: g, target: g.sum(`target${seed}`, [...shared, ...own], { seed: `run${seed}` }) };
}
