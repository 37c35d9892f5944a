// The benchmark tree for layer benchmarks: the big-context shape of the shared bench cases
// (20,000 small files in 200 dirs + 3 × 50 MB, fixed content and mtimes), generated once.
import { execFileSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';

export async function generateLayerTree(dir: string): Promise<void> {
  const marker = `${dir}.complete`;
  if (existsSync(marker)) return;
  await rm(dir, { recursive: true, force: true });
  for (let d = 0; d < 200; d++) {
    const dp = `${dir}/small/d${String(d).padStart(3, '0')}`;
    await mkdir(dp, { recursive: true });
    await Promise.all(
      Array.from({ length: 100 }, (_, f) => {
        const n = d * 100 + f;
        const size = 64 + ((n * 7919) % 4000);
        const line = createHash('sha256').update(String(n)).digest('hex') + '\n';
        return writeFile(`${dp}/f${String(f).padStart(3, '0')}.txt`, line.repeat(Math.ceil(size / line.length)).slice(0, size));
      }),
    );
  }
  const noise = (seed: string): Buffer => {
    const key = createHash('sha256').update(seed).digest().subarray(0, 16);
    return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(50 * 1024 * 1024));
  };
  await writeFile(`${dir}/big1.bin`, noise('big1'));
  const lines: string[] = [];
  let len = 0;
  for (let i = 1; len < 50 * 1024 * 1024; i++) {
    const s = `${i}\n`;
    lines.push(s);
    len += s.length;
  }
  await writeFile(`${dir}/big2.txt`, lines.join('').slice(0, 50 * 1024 * 1024));
  await writeFile(`${dir}/big3.bin`, noise('big3'));
  execFileSync('sh', ['-c', `find "${dir}" -exec touch -h -d '2024-01-01T00:00:00Z' {} +`]);
  await writeFile(marker, '');
}
