// Stacking layer listings: what each layer adds, changes and deletes, which lower layer's bytes
// die where, and dive's totals (wasted bytes, efficiency) on small hand-made stacks.
import { describe, expect, it } from 'vitest';
import { analyzeWaste, type LayerFileEntry, type LayerFiles } from '../../oci/index.ts';

const file = (path: string, size: number): LayerFileEntry => ({ path, kind: 'file', size });
const dir = (path: string): LayerFileEntry => ({ path, kind: 'dir', size: 0 });
const wh = (path: string): LayerFileEntry => ({ path, kind: 'whiteout', size: 0 });
const opaque = (path: string): LayerFileEntry => ({ path, kind: 'opaque', size: 0 });
const layer = (...entries: LayerFileEntry[]): LayerFiles => ({ tarSize: 0, entries });

describe('analyzeWaste', () => {
  it('an untouched stack wastes nothing and is fully efficient', () => {
    const a = analyzeWaste([layer(dir('bin'), file('bin/sh', 100)), layer(file('app', 50))]);
    expect(a).toMatchObject({ sizeBytes: 150, wastedBytes: 0, efficiency: 1, inefficientPaths: [], dead: [] });
    expect(a.layers.map((l) => l.added)).toEqual([1, 1]);
  });

  it('a directory deleted by a later layer: each file below it counts where written and where deleted', () => {
    const a = analyzeWaste([
      layer(dir('var'), dir('var/cache'), file('var/cache/a', 300), file('var/cache/b', 100)),
      layer(file('x', 5)),
      layer(wh('var/cache')),
    ]);
    expect(a.dead).toEqual([{ layer: 2, from: 0, deletedBytes: 400, overwrittenBytes: 0, paths: ['var/cache/a', 'var/cache/b'] }]);
    expect(a.layers[2]).toEqual({ added: 0, changed: 0, deleted: 2, bytes: 0 });
    expect(a.wastedBytes).toBe(800);
    expect(a.efficiency).toBeCloseTo((300 + 100 + 5) / (600 + 200 + 5), 12);
    expect(a.inefficientPaths).toEqual([
      { path: 'var/cache/a', count: 2, bytes: 600 },
      { path: 'var/cache/b', count: 2, bytes: 200 },
    ]);
  });

  it('an overwrite kills the old bytes; the smaller version sets the efficiency', () => {
    const a = analyzeWaste([layer(file('opt.bin', 2000)), layer(file('opt.bin', 500))]);
    expect(a.dead).toEqual([{ layer: 1, from: 0, deletedBytes: 0, overwrittenBytes: 2000, paths: ['opt.bin'] }]);
    expect(a.layers[1]!.changed).toBe(1);
    expect(a.wastedBytes).toBe(2500);
    expect(a.efficiency).toBeCloseTo(500 / 2500, 12);
  });

  it('an opaque directory hides lower files but not the ones its own layer puts there', () => {
    const a = analyzeWaste([layer(dir('etc'), file('etc/old', 70)), layer(dir('etc'), file('etc/new', 9), opaque('etc'))]);
    expect(a.dead).toEqual([{ layer: 1, from: 0, deletedBytes: 70, overwrittenBytes: 0, paths: ['etc/old'] }]);
    expect(a.layers[1]).toMatchObject({ added: 1, deleted: 1 });
    expect(a.inefficientPaths.map((p) => p.path)).toEqual(['etc/old']);
  });

  it('a file where a directory was (and the reverse) deletes what was there', () => {
    const a = analyzeWaste([layer(dir('d'), file('d/x', 10), file('f', 20)), layer(file('d', 1), dir('f'), file('f/y', 2))]);
    expect(a.dead).toEqual([{ layer: 1, from: 0, deletedBytes: 30, overwrittenBytes: 0, paths: ['f', 'd/x'] }]);
  });

  it('deleting what the same layer wrote, or what is not there, kills nothing', () => {
    const a = analyzeWaste([layer(file('a', 1)), layer(wh('nothing'), file('tmp', 10))]);
    expect(a.dead).toEqual([]);
    expect(a.wastedBytes).toBe(0);
  });
});
