// `npm run bench`: runs the benchmark scripts of this folder one after another, each in its own
// Node process, or only the ones named (with or without `.ts`). Arguments after `--` go to every
// script run. Modules that other bench scripts import (generators, helpers) are not scripts.
//
//   npm run bench                              every script
//   npm run bench -- build-cases solver-graph  two of them
//   npm run bench -- build-cases -- --runs 5   arguments for the scripts
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const self = basename(fileURLToPath(import.meta.url));

function scripts(): string[] {
  const files = readdirSync(here)
    .filter((f) => f.endsWith('.ts') && f !== self)
    .sort();
  const imported = new Set<string>();
  for (const f of files) {
    for (const m of readFileSync(join(here, f), 'utf8').matchAll(/from\s+'\.\/([\w.-]+\.ts)'/g)) imported.add(m[1]!);
  }
  return files.filter((f) => !imported.has(f));
}

const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const names = dash === -1 ? argv : argv.slice(0, dash);
const passed = dash === -1 ? [] : argv.slice(dash + 1);
const all = scripts();

if (names.includes('-h') || names.includes('--help')) {
  console.log(`usage: npm run bench [-- NAME... [-- ARGS...]]\nscripts: ${all.map((f) => f.replace(/\.ts$/, '')).join(', ')}`);
  process.exit(0);
}

const chosen: string[] = [];
for (const n of names) {
  const file = n.endsWith('.ts') ? basename(n) : `${basename(n)}.ts`;
  if (!all.includes(file)) {
    console.error(`no bench script "${n}" in test/bench (have: ${all.map((f) => f.replace(/\.ts$/, '')).join(', ')})`);
    process.exit(2);
  }
  chosen.push(file);
}

const failed: string[] = [];
for (const file of chosen.length > 0 ? chosen : all) {
  console.log(`\n=== ${file.replace(/\.ts$/, '')} ===`);
  const r = spawnSync(process.execPath, [join(here, file), ...passed], { stdio: 'inherit' });
  if (r.status !== 0) failed.push(`${file} (${r.signal ?? `exit ${r.status}`})`);
}
if (failed.length > 0) {
  console.error(`\nfailed: ${failed.join(', ')}`);
  process.exit(1);
}
