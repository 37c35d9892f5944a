// The Ink progress view on a real terminal (tmux): `tsbuild solve` of the example app, with
// --progress=tty and with auto (a TTY, CI unset), must draw the header, the steps and the end.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runInPty } from '../support/pty.ts';
import { requirePrereqs } from '../support/require-root.ts';
import { CLI_BIN, EXAMPLES, REPO_ROOT, seededCli, type Cli } from '../support/tsbuild-cli.ts';

const run = requirePrereqs({ root: true, commands: ['runc', 'tmux'] });
const app = join(EXAMPLES, 'app');

describe.runIf(run)('tty progress in a real terminal', () => {
  let cli: Cli;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    ({ cli, dispose } = await seededCli());
  });
  afterAll(async () => dispose?.());

  test('--progress=tty: [+] Building, step names, FINISHED', async () => {
    const { screen, exitCode } = await runInPty([process.execPath, CLI_BIN, 'solve', '--progress=tty', join(app, 'build.ts')], {
      cwd: REPO_ROOT,
      env: { TSBUILD_ROOT: cli.root, TSBUILD_DEBUG: undefined },
      cols: 120,
      rows: 40,
      timeoutMs: 45_000,
    });
    expect({ exitCode, screen }).toMatchObject({ exitCode: 0 });
    expect(screen).toMatch(/\[\+\] Building \d+(\.\d+)?s \(\d+\/\d+\)/);
    expect(screen).toContain('FINISHED');
    for (const name of ['install dependencies', 'copy sources', 'write config', 'assemble']) expect(screen).toContain(name);
    // No raw escape sequences or plain-mode lines leak onto the screen.
    // eslint-disable-next-line no-control-regex -- an ANSI escape is what must not leak
    expect(screen).not.toMatch(/\u001b\[/);
    expect(screen).not.toMatch(/^#\d+ /m);
  });

  test('auto picks the tty view on a terminal, and a cached solve says CACHED', async () => {
    const { screen, exitCode } = await runInPty([process.execPath, CLI_BIN, 'solve', join(app, 'build.ts')], {
      cwd: REPO_ROOT,
      env: { TSBUILD_ROOT: cli.root, TSBUILD_DEBUG: undefined },
      cols: 120,
      rows: 40,
      timeoutMs: 45_000,
    });
    expect(exitCode).toBe(0);
    expect(screen).toMatch(/\[\+\] Building .*FINISHED/);
    expect(screen).toContain('CACHED');
    expect(screen).toContain('install dependencies');
  });
});
