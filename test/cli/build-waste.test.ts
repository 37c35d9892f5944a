import { describe, expect, test } from 'vitest';
import { buildWaste } from '../../cli/waste/index.ts';
import type { LayerFiles, LayerSource } from '../../oci/index.ts';

/** A layer whose listing is `files`, counting how often it is asked for. */
function layer(name: string, files: LayerFiles | undefined, asked: { n: number }): LayerSource {
  return {
    diffID: async () => `sha256:${name.padEnd(64, '0')}`,
    openTar: () => {
      throw new Error('not read');
    },
    blob: async () => {
      throw new Error('not read');
    },
    files: async () => {
      asked.n++;
      if (!files) throw new Error(`the listing of ${name} was read`);
      return files;
    },
    description: name,
  };
}

describe('buildWaste', () => {
  test('one layer over an unchecked base reads no listing and warns of nothing', async () => {
    const asked = { n: 0 };
    const layers = [layer('a', undefined, asked), layer('b', undefined, asked)];
    expect(await buildWaste(layers, 1, { checkBase: false, imageSize: false })).toEqual({ warnings: [], deadBytes: 0 });
    expect(asked.n).toBe(0);
    // With the base checked, both listings are needed.
    await expect(buildWaste(layers, 1, { checkBase: true, imageSize: false })).rejects.toThrow('was read');
  });
});
