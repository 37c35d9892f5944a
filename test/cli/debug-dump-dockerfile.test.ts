import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dumpDockerfile } from '../../cli/commands/debug-dump-dockerfile.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (out.push(String(c)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (err.push(String(c)), true));
  return { out, err };
}

describe('tsbuild debug dump-dockerfile', () => {
  afterEach(() => vi.restoreAllMocks());
  const dir = mkdtempSync(join(tmpdir(), 'tsb-dump-'));

  it('prints the AST dump', async () => {
    const f = join(dir, 'Dockerfile');
    writeFileSync(f, 'FROM a AS b\nCOPY --from=b x /y\n');
    const io = capture();
    expect(await dumpDockerfile([f])).toBe(0);
    expect(io.out.join('')).toBe('(from "a" "AS" "b")\n(copy ["--from=b"] "x" "/y")\n');
  });

  it('exits 1 with a located error', async () => {
    const f = join(dir, 'Bad');
    writeFileSync(f, 'FROM a\nRUN <<EOF\n');
    const io = capture();
    expect(await dumpDockerfile([f])).toBe(1);
    expect(io.err.join('')).toBe(`error: ${f}:2: unterminated heredoc EOF\n`);
  });
});
