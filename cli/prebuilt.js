// The prebuilt CLI (scripts/bundle.ts): `dist/current.json` names the build to start from, a
// directory of its own under dist/ (a new build never changes one a running tsbuild still loads
// chunks from). It is used only while every file it was built from (our sources, and the
// installed dependencies' lock) has the size and modification time it had then. Plain
// JavaScript: the launcher asks before any TypeScript loads. About 250 stats of plain paths (no
// URL objects: they cost more than the stats).
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The prebuilt entry module's path when the build matches the sources, else undefined.
 * @param {URL} root the repository (or package) root, ending in `/`
 * @returns {string | undefined}
 */
export function prebuiltEntry(root) {
  const dir = fileURLToPath(root);
  try {
    const { build } = JSON.parse(readFileSync(dir + 'dist/current.json', 'utf8'));
    const { inputs } = JSON.parse(readFileSync(`${dir}dist/${build}/inputs.json`, 'utf8'));
    for (const [file, size, mtimeMs] of inputs) {
      const st = statSync(dir + file);
      if (st.size !== size || st.mtimeMs !== mtimeMs) return undefined;
    }
    return `${dir}dist/${build}/main.js`;
  } catch {
    return undefined;
  }
}
