// BuildServer in-process, spoken to over its socket with the frame protocol.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CONTROL, controlFrame, FrameReader, STDOUT } from '../../../cli/server/frames.ts';
import { BuildServer } from '../../../cli/server/server.ts';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

/** Sends one run request; resolves with what came back on stdout and the exit code. */
function runOn(path: string, argv: string[], entry: string): Promise<{ stdout: string; code?: number; declined?: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const reader = new FrameReader();
    let stdout = '';
    const info = { isTTY: false, colorDepth: 1 };
    socket.on('connect', () =>
      socket.write(controlFrame({ type: 'run', argv, cwd: process.cwd(), env: { ...process.env }, entry, stdout: info, stderr: info })),
    );
    socket.on('data', (chunk: Buffer) => {
      for (const f of reader.push(chunk)) {
        if (f.channel === STDOUT) stdout += f.payload.toString();
        if (f.channel !== CONTROL) continue;
        const m = JSON.parse(f.payload.toString()) as { type: string; code?: number; reason?: string };
        if (m.type === 'exit') resolve({ stdout, code: m.code! });
        if (m.type === 'declined') resolve({ stdout, declined: m.reason! });
      }
    });
    socket.on('error', reject);
  });
}

describe('BuildServer', () => {
  it("runs a command with the client's stdout, and stops once it has grown past its memory limit", async () => {
    const root = mkdtempSync(join(tmpdir(), 'tsb-srv-'));
    roots.push(root);
    const log: string[] = [];
    const server = await BuildServer.start({
      root,
      entry: 'test-build',
      idleTimeoutMs: 0,
      maxRssBytes: 1,
      log: (l) => log.push(l),
      run: async (argv) => {
        process.stdout.write(`ran ${argv.join(' ')}\n`);
        return 7;
      },
    });
    expect(await runOn(server.path, ['build', '.'], 'test-build')).toEqual({ stdout: 'ran build .\n', code: 7 });
    await server.stopped;
    expect(log.some((l) => /resident, above the limit: stopping/.test(l))).toBe(true);
  });

  it('declines a client that runs another CLI build, and stops', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tsb-srv-'));
    roots.push(root);
    const server = await BuildServer.start({ root, entry: 'build-a', idleTimeoutMs: 0, log: () => {}, run: async () => 0 });
    expect(await runOn(server.path, ['build', '.'], 'build-b')).toEqual({ stdout: '', declined: 'stale' });
    await server.stopped;
  });
});
