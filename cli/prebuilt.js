// Whether the prebuilt CLI in dist/cli/ (scripts/bundle.ts) still matches the sources: built after
// the last change to every source file it holds. Plain JavaScript: the launcher asks before any
// TypeScript loads. About 1 ms of stats.
import { readFileSync, statSync } from 'node:fs';

/** @param {URL} root the repository (or package) root, ending in `/` */
export function prebuiltIsCurrent(root) {
  try {
    const { built, inputs } = JSON.parse(readFileSync(new URL('dist/cli/inputs.json', root), 'utf8'));
    return inputs.every((/** @type {string} */ file) => statSync(new URL(file, root)).mtimeMs < built);
  } catch {
    return false;
  }
}
