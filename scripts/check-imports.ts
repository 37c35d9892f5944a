// Fails when a source file imports across the rules of the layout (docs/design.md):
//   arrows between folders: llb → nothing · oci → llb · solver → llb · frontends → llb (type-only
//   oci) · executor → llb, solver, oci · remote → llb, oci · cli → everything · nothing imports cli/ or test/
//   siblings: two subfolders of one folder (executor/ops and executor/runner, or
//   frontends/dockerfile/convert and frontends/dockerfile/shell) import each other only through
//   the other's index.ts. A folder's own files may reach into its subfolders, and a subfolder's
//   files may import files of the folders above them; test/ mirrors the tree and is exempt.
// Static imports, re-exports and dynamic `import()` with a literal path are all checked.
// Usage: node scripts/check-imports.ts [ROOT]   (ROOT defaults to this checkout)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';

const root = resolve(process.argv[2] ?? join(import.meta.dirname, '..'));
const layers = ['llb', 'oci', 'solver', 'executor', 'remote', 'frontends', 'cli', 'test'] as const;
type Layer = (typeof layers)[number];

const allowed: Record<Layer, readonly Layer[]> = {
  llb: [],
  oci: ['llb'],
  solver: ['llb'],
  frontends: ['llb'],
  executor: ['llb', 'solver', 'oci'],
  remote: ['llb', 'oci'],
  cli: ['llb', 'oci', 'solver', 'executor', 'remote', 'frontends'],
  test: ['llb', 'oci', 'solver', 'executor', 'remote', 'frontends', 'cli'],
};
const typeOnlyAllowed: Partial<Record<Layer, readonly Layer[]>> = { frontends: ['oci'] };
const siblingRuleExempt: readonly Layer[] = ['test'];

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (/\.(ts|tsx|js|mjs)$/.test(name)) yield p;
  }
}

/**
 * The subfolder that `target` must be imported through, when `from` and `target` sit in two
 * different subfolders of their nearest common folder; undefined when the import is not between
 * siblings or already names the subfolder's index.ts. Paths are relative to the root, split.
 */
function siblingFolder(from: readonly string[], target: readonly string[]): string | undefined {
  let i = 0;
  while (i < from.length - 1 && i < target.length - 1 && from[i] === target[i]) i++;
  // from[i] and target[i] differ: a sibling import needs both to be folders
  if (i >= from.length - 1 || i >= target.length - 1) return undefined;
  if (target.length === i + 2 && target[i + 1] === 'index.ts') return undefined;
  return target.slice(0, i + 1).join('/');
}

const importRe = /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
const problems: string[] = [];

for (const layer of layers) {
  const dir = join(root, layer);
  try {
    statSync(dir);
  } catch {
    continue;
  }
  for (const file of walk(dir)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(importRe)) {
      const spec = m[3] ?? m[4];
      if (!spec || !spec.startsWith('.')) continue;
      const where = () => `${relative(root, file)}:${text.slice(0, m.index).split('\n').length}`;
      const from = relative(root, file).split(sep);
      const targetPath = relative(root, resolve(dirname(file), spec)).split(sep);
      const target = targetPath[0] as Layer;
      if (target === layer) {
        const folder = siblingRuleExempt.includes(layer) ? undefined : siblingFolder(from, targetPath);
        if (folder) problems.push(`${where()}: '${spec}' reaches into ${folder}/ from outside it: import ${folder}/index.ts instead`);
        continue;
      }
      if (!layers.includes(target)) continue;
      const typeOnly = Boolean(m[2]);
      if (allowed[layer].includes(target)) continue;
      if (typeOnly && typeOnlyAllowed[layer]?.includes(target)) continue;
      problems.push(`${where()}: ${layer}/ may not import ${target}/ ('${spec}')`);
    }
  }
}

if (problems.length > 0) {
  console.error(`import rules violated (see docs/design.md, "Layout and import rules"):\n${problems.join('\n')}`);
  process.exit(1);
}
