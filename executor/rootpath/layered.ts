// What the merged view of stacked overlay layers shows at a path, read from the layer directories
// without mounting them. Each layer is walked one component at a time without following links, so
// nothing outside the layers is ever looked at. Opaque directories are marked by an xattr that
// Node cannot read: where one could hide an entry, the answer says so (`mayBeHidden`), and
// callers that need certainty mount the overlay and ask the kernel.
import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';

export type LayeredEntry =
  /** No layer has the path: the merged view has nothing there. */
  | { readonly kind: 'absent'; readonly ancestors: readonly Ancestor[] }
  /**
   * The topmost layer holding the path has this entry (a whiteout device means deleted: see
   * isWhiteout). `mayBeHidden`: a layer above holds one of its directories, which could be opaque
   * and hide it, so the merged view may show nothing there.
   */
  | { readonly kind: 'found'; readonly st: Stats; readonly path: string; readonly ancestors: readonly Ancestor[]; readonly mayBeHidden: boolean }
  /** A link or a non-directory on the way: where the path leads needs the mounted view. */
  | { readonly kind: 'unsure' };

/** An ancestor directory as the merged view shows it (its topmost layer's entry). */
export interface Ancestor {
  readonly rel: string;
  readonly st: Stats;
}

export function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/** `rel` (relative, `/`-separated) in `layers`, topmost first. */
export async function lookupInLayers(layers: readonly string[], rel: string): Promise<LayeredEntry> {
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.includes('..')) return { kind: 'unsure' };
  const ancestors: Ancestor[] = [];
  // Index of the topmost layer holding each ancestor: the leaf's own layer must be that one for
  // all of them, or a higher copy of an ancestor could be opaque and hide it.
  const ancestorLayers: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const prefix = parts.slice(0, i + 1);
    let top: { st: Stats; layer: number } | undefined;
    for (let l = 0; l < layers.length && !top; l++) {
      const st = await entryInLayer(layers[l]!, prefix);
      if (st) top = { st, layer: l };
    }
    const relPrefix = prefix.join('/');
    if (i === parts.length - 1) {
      if (!top) return { kind: 'absent', ancestors };
      const mayBeHidden = ancestorLayers.some((l) => l !== top.layer);
      return { kind: 'found', st: top.st, path: join(layers[top.layer]!, relPrefix), ancestors, mayBeHidden };
    }
    if (!top) return { kind: 'absent', ancestors };
    if (!top.st.isDirectory()) return { kind: 'unsure' };
    ancestors.push({ rel: relPrefix, st: top.st });
    ancestorLayers.push(top.layer);
  }
  return { kind: 'unsure' };
}

/** The entry at `parts` inside one layer, reached through real directories only. */
async function entryInLayer(layer: string, parts: readonly string[]): Promise<Stats | undefined> {
  let path = layer;
  for (let i = 0; i < parts.length; i++) {
    path = join(path, parts[i]!);
    const st = await lstat(path).catch(() => undefined);
    if (!st) return undefined;
    if (i === parts.length - 1) return st;
    if (!st.isDirectory()) return undefined;
  }
  return undefined;
}
