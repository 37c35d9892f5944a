// Content hashing of the big-context case (20,000 small files in 200 dirs + 3 × 50 MB), cold and
// warm, against `sha256sum` of the same files. Run: node test/bench/contenthash-bigctx.ts
// The context is generated once under $TMPDIR (or taken from TSBUILD_BENCH_CTX, e.g. the
// ctx-big made by the shared gen-contexts.sh).
import { execFileSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, utimes, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContentHasher } from '../../executor/contenthash/index.ts';

async function generate(dir: string): Promise<void> {
  const marker = join(dir, '.complete');
  if (existsSync(marker)) return;
  await rm(dir, { recursive: true, force: true });
  for (let d = 0; d < 200; d++) {
    const dp = join(dir, 'small', `d${String(d).padStart(3, '0')}`);
    await mkdir(dp, { recursive: true });
    for (let f = 0; f < 100; f++) {
      const n = d * 100 + f;
      const size = 64 + ((n * 7919) % 4000);
      const line = createHash('sha256').update(String(n)).digest('hex') + '\n';
      await writeFile(join(dp, `f${String(f).padStart(3, '0')}.txt`), line.repeat(Math.ceil(size / line.length)).slice(0, size));
    }
  }
  const noise = (seed: string): Buffer => {
    const key = createHash('sha256').update(seed).digest().subarray(0, 16);
    return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(50 * 1024 * 1024));
  };
  await writeFile(join(dir, 'big1.bin'), noise('big1'));
  let text = '';
  for (let i = 1; text.length < 50 * 1024 * 1024; i++) text += `${i}\n`;
  await writeFile(join(dir, 'big2.txt'), text.slice(0, 50 * 1024 * 1024));
  await writeFile(join(dir, 'big3.bin'), noise('big3'));
  execFileSync('sh', ['-c', `find "${dir}" -exec touch -h -d '2024-01-01T00:00:00Z' {} +`]);
  await writeFile(marker, '');
}

async function time<T>(fn: () => Promise<T> | T): Promise<[number, T]> {
  const t = performance.now();
  const v = await fn();
  return [(performance.now() - t) / 1000, v];
}

const ctx = process.env.TSBUILD_BENCH_CTX ?? join(tmpdir(), 'tsbuild-bench', 'ctx-big');
await generate(ctx);
const cacheFile = join(tmpdir(), 'tsbuild-bench', `contenthash-${process.pid}.json`);
await rm(cacheFile, { force: true });

// Both sides read from a warm page cache: sha256sum first, once to warm and once measured.
const sha256sum = (): void => {
  execFileSync('sh', ['-c', `cd "${ctx}" && find . -type f ! -name .complete -print0 | xargs -0 sha256sum > /dev/null`]);
};
sha256sum();
const [tSum] = await time(sha256sum);

const cold = new ContentHasher({ cacheFile });
const [tCold, digest] = await time(() => cold.checksum(ctx, { exclude: ['.complete'] }));
const [tFlush] = await time(() => cold.flush());

const warm = new ContentHasher({ cacheFile });
const [tWarm, d2] = await time(() => warm.checksum(ctx, { exclude: ['.complete'] }));
const readWarm = warm.stats.filesRead;
if (d2 !== digest) throw new Error('warm digest differs');

const touched = join(ctx, 'small/d100/f050.txt');
await utimes(touched, new Date(), new Date());
const [tTouch, d3] = await time(() => warm.checksum(ctx, { exclude: ['.complete'] }));
const readTouch = warm.stats.filesRead - readWarm;
if (d3 !== digest) throw new Error('mtime touch changed the digest');

const edited = join(ctx, 'small/d101/f051.txt');
await appendFile(edited, 'edit\n');
const [tEdit, d4] = await time(() => warm.checksum(ctx, { exclude: ['.complete'] }));
const readEdit = warm.stats.filesRead - readWarm - readTouch;
if (d4 === digest) throw new Error('edit not detected');
// Restore the generated content for the next run.
execFileSync('truncate', ['-s', '-5', edited]);
execFileSync('touch', ['-d', '2024-01-01T00:00:00Z', edited, touched]);
await rm(cacheFile, { force: true });

const fmt = (s: number): string => `${s.toFixed(3)} s`;
console.log(`context: ${ctx}`);
console.log(`sha256sum (find | xargs, warm page cache): ${fmt(tSum)}`);
console.log(
  `cold:      ${fmt(tCold)}  ratio to sha256sum ${(tCold / tSum).toFixed(2)}x  (${cold.stats.filesRead} files, ${(cold.stats.bytesRead / 2 ** 20).toFixed(0)} MiB read; cache write ${fmt(tFlush)})`,
);
console.log(`unchanged: ${fmt(tWarm)}  ratio to sha256sum ${(tWarm / tSum).toFixed(2)}x  (${readWarm} files read)`);
console.log(`touched:   ${fmt(tTouch)}  ratio to sha256sum ${(tTouch / tSum).toFixed(2)}x  (${readTouch} files read)`);
console.log(`edited:    ${fmt(tEdit)}  ratio to sha256sum ${(tEdit / tSum).toFixed(2)}x  (${readEdit} files read)`);
