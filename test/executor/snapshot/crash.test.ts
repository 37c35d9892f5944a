// A process killed at any step of a commit leaves nothing half-made that a later open trusts.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnapshotTree, type SnapshotterName } from '../../../executor/snapshot/index.ts';
import { mountsUnder } from '../../../executor/snapshot/mount.ts';
import { requirePrereqs } from '../../support/require-root.ts';

const CHILD = join(import.meta.dirname, 'fixtures', 'commit-child.ts');

/** Runs the child until it prints `at:<step>`, then SIGKILLs it. */
function runAndKill(dir: string, name: SnapshotterName, step: string, parent: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, name, step, parent], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes(`at:${step}\n`)) child.kill('SIGKILL');
    });
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`child exited without reaching ${step}: ${err}`));
    });
  });
}

function suite(name: SnapshotterName, needsRoot: boolean) {
  const enabled = requirePrereqs({ root: needsRoot });
  describe.runIf(enabled)(`${name}: killed mid-commit`, () => {
    let dir: string;
    let parent: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), `tsbuild-crash-${name}-`));
      const t = await SnapshotTree.open(name, dir);
      await t.prepare('base-active');
      await writeFile(join(await t.activeDir('base-active'), 'base'), 'b');
      parent = await t.commit('base-active', 'base');
      await t.close();
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    for (const step of ['written', 'frozen', 'measured', 'recorded', 'done']) {
      it(`at step "${step}"`, async () => {
        await runAndKill(dir, name, step, parent);
        const t = await SnapshotTree.open(name, dir);
        try {
          const victim = await t.stat('victim');
          expect(await t.stat('victim-active')).toBeUndefined();
          if (step === 'recorded' || step === 'done') {
            // The committed record was written last, so everything it names is complete.
            expect(victim?.kind).toBe('committed');
            const r = await t.readable('victim');
            try {
              const names = (await readdir(r.path)).sort();
              expect(names).toHaveLength(201);
              expect(await readFile(join(r.path, 'f199'), 'utf8')).toBe('content 199\n');
            } finally {
              await r.release();
            }
            await t.remove('victim');
          } else {
            expect(victim).toBeUndefined();
          }
          // Only the base snapshot's directory is left; no mounts survive the dead process.
          expect(await readdir(join(dir, 'dirs'))).toHaveLength(1);
          expect((await readdir(join(dir, 'meta'))).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
          expect(await mountsUnder(dir)).toEqual([]);
          expect((await t.list()).map((s) => s.key)).toEqual(['base']);
        } finally {
          await t.close();
        }
      });
    }

    it("recovers even when the dead process's pid now belongs to a live one", async () => {
      await runAndKill(dir, name, 'frozen', parent);
      // A container runs tsbuild with the same pid every time: the dead run's owner file then
      // names a pid that is alive (here: this process's).
      const owners = join(dir, 'owners');
      const [left] = (await readdir(owners)).filter((n) => n !== String(process.pid));
      expect(left).toBeDefined();
      await rename(join(owners, left!), join(owners, String(process.pid)));
      const t = await SnapshotTree.open(name, dir);
      try {
        expect(await t.stat('victim-active')).toBeUndefined();
        expect(await readdir(join(dir, 'dirs'))).toHaveLength(1);
        expect(await mountsUnder(dir)).toEqual([]);
      } finally {
        await t.close();
      }
      expect(await readdir(owners)).toEqual([]);
    });
  });
}

suite('native', false);
suite('overlayfs', true);
