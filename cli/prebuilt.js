// Whether the prebuilt CLI in dist/cli/ (scripts/bundle.ts) still matches the sources: built after
// the last change to every source file it holds. Plain JavaScript: the launcher asks before any
// TypeScript loads. About 250 stats of plain paths (no URL objects: they cost more than the stats).
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** @param {URL} root the repository (or package) root, ending in `/` */
export function prebuiltIsCurrent(root) {
  const dir = fileURLToPath(root);
  try {
    const { built, inputs } = JSON.parse(readFileSync(dir + 'dist/cli/inputs.json', 'utf8'));
    for (const file of inputs) if (statSync(dir + file).mtimeMs >= built) return false;
    return true;
  } catch {
    return false;
  }
}
