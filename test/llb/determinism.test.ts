import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeDefinition, definitionFromBytes } from '../../llb/index.ts';

const program = fileURLToPath(new URL('./fixtures/determinism-program.ts', import.meta.url));
const run = (...args: string[]) => execFileSync(process.execPath, [program, ...args], { encoding: 'utf8' });

describe('deterministic marshaling', () => {
  it('gives identical bytes and digests in two processes, whatever order maps and mounts were built in', () => {
    const a = run();
    const b = run();
    const c = run('reverse');
    expect(a.length).toBeGreaterThan(100);
    expect(b).toBe(a);
    expect(c).toBe(a);
    const def = decodeDefinition(definitionFromBytes(Buffer.from(a, 'hex')));
    expect(def.ops.map((o) => o.kind)).toEqual(['source', 'source', 'exec', 'file', 'merge']);
  });
});
