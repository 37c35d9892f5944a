// Runs an ES module script in a fresh Node process and reports how it ended: for checks that a
// piece of the project lets the process exit by itself once its work is done (an idle worker or
// socket that still holds the event loop keeps it running, and the time limit then fails it).
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './tsbuild-cli.ts';

export interface ScriptResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Resolves when the script's process exits; rejects if it is still running after `timeoutMs`. */
export async function runNodeScript(source: string, timeoutMs = 30_000): Promise<ScriptResult> {
  // A file rather than `-e`: `--input-type` would be inherited by the script's worker threads.
  const dir = await mkdtemp(join(tmpdir(), 'tsbuild-script-'));
  const file = join(dir, 'script.mjs');
  await writeFile(file, source);
  try {
    return await run(file, timeoutMs);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function run(file: string, timeoutMs: number): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the process was still running ${timeoutMs} ms after it started\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}
