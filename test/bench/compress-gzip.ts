// Compressing a 200 MB layer: tsbuild's parallel gzip vs Node's single-stream gzip vs pigz and
// gzip -6, all at level 6. Prints times, sizes and ratios.
// Target (2 cores): parallel ≥ 1.7× faster than single-stream, within 10% of pigz.
// Run: node test/bench/compress-gzip.ts [sizeMB]
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { closeGzipPool, createParallelGzip } from '../../oci/index.ts';

const sizeMB = Number(process.argv[2] ?? 200);
const dir = await mkdtemp(join(tmpdir(), 'tsbuild-bench-gzip-'));
const input = join(dir, 'layer.tar');

// Like a real layer: mostly text-ish and structured data (compressible), some already-compressed bytes.
function makeLayer(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  const words = 'usr lib bin share doc locale include python3 node_modules index.js package.json README license const function return export import'.split(' ');
  let off = 0;
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  while (off < bytes) {
    if (rnd() < 0.0002) {
      const n = Math.min(bytes - off, 4096 + Math.floor(rnd() * 16384));
      randomBytes(n).copy(out, off);
      off += n;
    } else {
      const line = `${words[Math.floor(rnd() * words.length)]}/${words[Math.floor(rnd() * words.length)]} ${Math.floor(rnd() * 1e6)}\n`;
      off += out.write(line, off);
    }
  }
  return out;
}

async function time(name: string, fn: () => Promise<void>, output: string): Promise<{ name: string; ms: number; size: number }> {
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  return { name, ms, size: statSync(output).size };
}

function runTo(cmd: string, args: string[], out: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const w = createWriteStream(out);
    p.stdout.pipe(w);
    p.on('error', reject);
    w.on('finish', () => (p.exitCode === 0 || p.exitCode === null ? resolve() : reject(new Error(`${cmd} exited ${p.exitCode}`))));
  });
}

try {
  await writeFile(input, makeLayer(sizeMB << 20));
  execFileSync('cat', [input], { stdio: ['ignore', 'ignore', 'inherit'] }); // page cache warm for everyone
  const methods: [string, string, () => Promise<void>][] = [
    [
      'tsbuild parallel gzip',
      'p.gz',
      () => pipeline(createReadStream(input, { highWaterMark: 1 << 20 }), createParallelGzip({ level: 6 }), createWriteStream(join(dir, 'p.gz'))),
    ],
    [
      'node zlib single-stream',
      's.gz',
      () => pipeline(createReadStream(input, { highWaterMark: 1 << 20 }), createGzip({ level: 6 }), createWriteStream(join(dir, 's.gz'))),
    ],
    ['pigz -6', 'pigz.gz', () => runTo('pigz', ['-6', '-c', input], join(dir, 'pigz.gz'))],
    ['gzip -6', 'gzip.gz', () => runTo('gzip', ['-6', '-c', input], join(dir, 'gzip.gz'))],
  ];
  // Rounds interleave the methods so that a burst of load elsewhere on the machine hits them all;
  // the best round of each is reported.
  const rounds = Number(process.env['ROUNDS'] ?? 3);
  const best = new Map<string, { name: string; ms: number; size: number }>();
  for (let round = 0; round < rounds; round++) {
    for (const [name, file, fn] of methods) {
      const r = await time(name, fn, join(dir, file));
      const prev = best.get(name);
      if (!prev || r.ms < prev.ms) best.set(name, r);
    }
  }
  const results = methods.map(([name]) => best.get(name)!);
  execFileSync('gzip', ['-t', join(dir, 'p.gz')]);

  console.log(`compressing a ${sizeMB} MB layer on ${availableParallelism()} cores (level 6, best of ${rounds})`);
  for (const r of results)
    console.log(
      `  ${r.name.padEnd(26)} ${(r.ms / 1000).toFixed(2).padStart(6)} s   ${(r.size / 1048576).toFixed(1).padStart(7)} MB   ${((sizeMB << 20) / 1048576 / (r.ms / 1000)).toFixed(0).padStart(4)} MB/s`,
    );
  const [par, single, pigz, gz] = results as [(typeof results)[0], (typeof results)[0], (typeof results)[0], (typeof results)[0]];
  console.log(`  speed-up vs single-stream: ${(single.ms / par.ms).toFixed(2)}× (target ≥ 1.70×)`);
  console.log(`  time vs pigz:              ${(par.ms / pigz.ms).toFixed(2)}× (target ≤ 1.10×)`);
  console.log(`  speed-up vs gzip -6:       ${(gz.ms / par.ms).toFixed(2)}×`);
  console.log(`  size vs single-stream:     ${(par.size / single.size).toFixed(3)}×`);
} finally {
  await closeGzipPool();
  await rm(dir, { recursive: true, force: true });
}
