// Diff + tar of a 20,000-file, ~200 MB tree against GNU `tar -c` of the same tree. Both outputs
// are read by this process and counted, from a warm page cache. Prints times and ratios.
// Run: node test/bench/layer-diff.ts   (tree generated once under $TMPDIR/tsbuild-bench/)
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { overlayUpperChanges, treeAsChanges, treeDiffChanges, writeLayer } from '../../oci/layer/index.ts';
import { generateLayerTree } from './layer-tree.ts';

const base = join(tmpdir(), 'tsbuild-bench');
const tree = process.env.TSBUILD_BENCH_TREE ?? join(base, 'layer-tree');
const empty = join(base, 'layer-empty');
await mkdir(empty, { recursive: true });
await generateLayerTree(tree);

async function count(src: AsyncIterable<Buffer | Uint8Array>): Promise<number> {
  let n = 0;
  for await (const c of src) n += c.length;
  return n;
}

function gnuTar(): Promise<number> {
  const child = spawn('tar', ['-cf', '-', '-C', tree, '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return count(child.stdout);
}

async function best(label: string, fn: () => Promise<number>, runs = 3): Promise<number> {
  let min = Infinity;
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    bytes = await fn();
    min = Math.min(min, (performance.now() - t) / 1000);
  }
  console.log(`${label.padEnd(34)} ${min.toFixed(3)} s  ${(bytes / 1e6).toFixed(1)} MB`);
  return min;
}

await gnuTar(); // warm the page cache
const tTar = await best('tar -c', gnuTar);
const tWalk = await best('layer of a tree (walk)', () => count(writeLayer(treeAsChanges(tree))));
const tDiff = await best('diff of two trees (empty → tree)', () => count(writeLayer(treeDiffChanges(empty, tree))));
const tUpper = await best('overlay upper dir', () => count(writeLayer(overlayUpperChanges(tree))));
console.log(`ratio walk/tar:  ${(tWalk / tTar).toFixed(2)}`);
console.log(`ratio diff/tar:  ${(tDiff / tTar).toFixed(2)}`);
console.log(`ratio upper/tar: ${(tUpper / tTar).toFixed(2)}`);

// Applying the same layer (unpacking an image layer) against `tar -x`.
const { applyLayer } = await import('../../oci/layer/index.ts');
const { createReadStream } = await import('node:fs');
const { rm } = await import('node:fs/promises');
const { execFileSync } = await import('node:child_process');
const tarFile = join(base, 'layer-tree.tar');
execFileSync('sh', ['-c', `tar -cf "${tarFile}" -C "${tree}" .`]);
const out = join(base, 'layer-apply');
// Writeback and deferred deletes of the previous run dominate otherwise: flush before timing.
const fresh = async () => {
  await rm(out, { recursive: true, force: true });
  await mkdir(out);
  execFileSync('sync');
};
let tX = Infinity;
let tApply = Infinity;
for (let i = 0; i < 3; i++) {
  await fresh();
  let t = performance.now();
  execFileSync('tar', ['-xpf', tarFile, '-C', out]);
  tX = Math.min(tX, (performance.now() - t) / 1000);
  await fresh();
  t = performance.now();
  await applyLayer(out, createReadStream(tarFile, { highWaterMark: 1 << 20 }));
  tApply = Math.min(tApply, (performance.now() - t) / 1000);
}
await rm(out, { recursive: true, force: true });
await rm(tarFile, { force: true });
console.log(`${'tar -x'.padEnd(34)} ${tX.toFixed(3)} s`);
console.log(`${'applyLayer'.padEnd(34)} ${tApply.toFixed(3)} s`);
console.log(`ratio apply/tar-x: ${(tApply / tX).toFixed(2)}`);
