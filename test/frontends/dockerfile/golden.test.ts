// Golden tests: each fixture Dockerfile compiles to the reviewed definition dump next to it.
// `UPDATE_GOLDEN=1 vitest run test/frontends/dockerfile/golden.test.ts` rewrites the files;
// review the diff before keeping it.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeDefinition, definitionFromBytes, definitionToBytes } from '../../../llb/index.ts';
import { compile, dumpResult, type CompileOptions } from './support.ts';

const root = join(import.meta.dirname, 'fixtures', 'golden');
const update = process.env.UPDATE_GOLDEN === '1';

describe('golden definitions', () => {
  const cases = readdirSync(root).sort();
  it('has at least ten fixtures', () => expect(cases.length).toBeGreaterThanOrEqual(10));
  for (const c of cases) {
    it(c, async () => {
      const dir = join(root, c);
      const optsPath = join(dir, 'options.json');
      const opts = (existsSync(optsPath) ? JSON.parse(readFileSync(optsPath, 'utf8')) : {}) as CompileOptions;
      const result = await compile('Dockerfile', readFileSync(join(dir, 'Dockerfile'), 'utf8'), opts);
      // the definition survives the wire format and decodes as a valid graph
      const bytes = definitionToBytes(result.definition);
      expect(() => decodeDefinition(definitionFromBytes(bytes))).not.toThrow();
      const got = dumpResult(result);
      const expectedPath = join(dir, 'expected.json');
      if (update || !existsSync(expectedPath)) writeFileSync(expectedPath, got);
      expect(got).toBe(readFileSync(expectedPath, 'utf8'));
    });
  }
});
