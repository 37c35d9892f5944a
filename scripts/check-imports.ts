// Fails when a source file imports across the arrows of the layout (docs/design.md):
//   llb → nothing · oci → llb · solver → llb · frontends → llb (type-only oci)
//   executor → llb, solver, oci · cli → everything · nothing imports cli/ or test/
// Static imports, re-exports and dynamic `import()` with a literal path are all checked.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const layers = ['llb', 'oci', 'solver', 'executor', 'frontends', 'cli', 'test'] as const;
type Layer = (typeof layers)[number];

const allowed: Record<Layer, readonly Layer[]> = {
  llb: [],
  oci: ['llb'],
  solver: ['llb'],
  frontends: ['llb'],
  executor: ['llb', 'solver', 'oci'],
  cli: ['llb', 'oci', 'solver', 'executor', 'frontends'],
  test: ['llb', 'oci', 'solver', 'executor', 'frontends', 'cli'],
};
const typeOnlyAllowed: Partial<Record<Layer, readonly Layer[]>> = { frontends: ['oci'] };

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (/\.(ts|tsx|js|mjs)$/.test(name)) yield p;
  }
}

const importRe = /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
const problems: string[] = [];

for (const layer of layers) {
  const dir = join(root, layer);
  try { statSync(dir); } catch { continue; }
  for (const file of walk(dir)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(importRe)) {
      const spec = m[3] ?? m[4];
      if (!spec || !spec.startsWith('.')) continue;
      const target = relative(root, resolve(dirname(file), spec)).split(sep)[0] as Layer;
      if (!layers.includes(target) || target === layer) continue;
      const typeOnly = Boolean(m[2]);
      if (allowed[layer].includes(target)) continue;
      if (typeOnly && typeOnlyAllowed[layer]?.includes(target)) continue;
      const line = text.slice(0, m.index).split('\n').length;
      problems.push(`${relative(root, file)}:${line}: ${layer}/ may not import ${target}/ ('${spec}')`);
    }
  }
}

if (problems.length > 0) {
  console.error(`import arrows violated (see docs/design.md):\n${problems.join('\n')}`);
  process.exit(1);
}
