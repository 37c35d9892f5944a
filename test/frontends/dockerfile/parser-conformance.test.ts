// BuildKit's parser test files: every positive case dumps byte for byte to `result`, every
// negative case fails with a located error.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DockerfileError, dumpAst, parseDockerfile } from '../../../frontends/dockerfile/index.ts';

const root = join(import.meta.dirname, 'conformance', 'parser');
const read = (p: string) => new TextDecoder().decode(readFileSync(p));

describe('parser conformance (positive)', () => {
  const cases = readdirSync(join(root, 'positive')).sort();
  it('has cases', () => expect(cases.length).toBeGreaterThanOrEqual(11));
  for (const c of cases) {
    it(c, () => {
      const ast = parseDockerfile(read(join(root, 'positive', c, 'Dockerfile')));
      expect(dumpAst(ast) + '\n').toBe(read(join(root, 'positive', c, 'result')));
    });
  }
});

describe('parser conformance (negative)', () => {
  for (const c of readdirSync(join(root, 'negative')).sort()) {
    it(c, () => {
      expect(() => parseDockerfile(read(join(root, 'negative', c, 'Dockerfile')))).toThrow(DockerfileError);
    });
  }
});
