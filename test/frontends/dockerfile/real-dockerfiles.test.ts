// Dockerfiles from public projects (manifest.tsv says what each must do): `ok` ones compile
// offline to a valid definition; the others fail with a located, readable error.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DockerfileError } from '../../../frontends/dockerfile/index.ts';
import { decodeDefinition, definitionFromBytes, definitionToBytes } from '../../../llb/index.ts';
import { compile } from './support.ts';

const root = join(import.meta.dirname, 'conformance', 'real-dockerfiles');
const rows = readFileSync(join(root, 'manifest.tsv'), 'utf8')
  .split('\n')
  .slice(1)
  .filter((l) => l.trim() !== '')
  .map((l) => {
    const [file, , , , , , expect] = l.split('\t');
    return { file: file as string, expect: expect as string };
  });

describe('real-world Dockerfiles', () => {
  it('has the manifest', () => expect(rows.length).toBeGreaterThanOrEqual(29));
  for (const row of rows) {
    it(`${row.file} (${row.expect})`, async () => {
      const text = new TextDecoder().decode(readFileSync(join(root, row.file)));
      if (row.expect === 'ok') {
        const r = await compile(row.file, text);
        const def = definitionFromBytes(definitionToBytes(r.definition));
        expect(decodeDefinition(def).ops.length).toBeGreaterThan(0);
        return;
      }
      const needsArg = /^needs-build-arg:(.+)$/.exec(row.expect);
      if (needsArg) {
        const name = needsArg[1] as string;
        const err = await compile(row.file, text).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(DockerfileError);
        expect((err as DockerfileError).message).toMatch(new RegExp(`^${row.file.replace(/[.+]/g, '\\$&')}:\\d+: .*${name}`));
        await expect(compile(row.file, text, { buildArgs: { [name]: 'alpine' } })).resolves.toBeDefined();
        return;
      }
      if (row.expect.startsWith('compile-error')) {
        await expect(compile(row.file, text)).rejects.toThrow(DockerfileError);
        return;
      }
      throw new Error(`unknown expectation ${row.expect}`);
    });
  }
});
