import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requirePrereqs } from '../../support/require-root.ts';
import { runInPty } from '../../support/pty.ts';

const feed = join(import.meta.dirname, 'fixtures', 'tty-feed.ts');

describe.runIf(requirePrereqs({ commands: ['tmux'] }))('tty progress on a real terminal', () => {
  it('auto mode draws the Ink view: header, every step, and the final state', async () => {
    const { screen, exitCode } = await runInPty([process.execPath, feed, 'auto']);
    expect(exitCode).toBe(0);
    expect(screen).toMatch(/\[\+\] Building \d+\.\ds \(3\/3\) FINISHED/);
    expect(screen).toMatch(/=> \[1\/3\] FROM docker\.io\/library\/busybox +\d+\.\ds/);
    expect(screen).toContain('=> => sha256:0123456789ab 2kB / 2kB');
    expect(screen).toMatch(/=> \[2\/3\] RUN echo compiling +\d+\.\ds/);
    // Timers sit on the terminal's right edge.
    const from = screen.split('\n').find((l) => l.includes('FROM docker.io'));
    expect(from?.length).toBe(100);
    expect(screen).toContain('=> CACHED [3/3] COPY --from=build /out /app');
    // Plain-mode numbering must not appear: this was the live view.
    expect(screen).not.toContain('#1 ');
    // Each finished step is written once, not once per frame.
    expect(screen.split('RUN echo compiling').length - 1).toBe(1);
    expect(screen.trimEnd().endsWith('after-progress')).toBe(true);
  });

  it('shows the failing step output and its source line after a failure', async () => {
    const { screen, exitCode } = await runInPty([process.execPath, feed, 'tty', 'fail']);
    expect(exitCode).toBe(0);
    expect(screen).toMatch(/=> ERROR \[3\/3\] RUN make +\d+\.\ds/);
    // As in BuildKit, FINISHED means every step has ended, whatever the outcome.
    expect(screen).toMatch(/\[\+\] Building \d+\.\ds \(3\/3\) FINISHED$/m);
    expect(screen).toContain(' > [3/3] RUN make:');
    expect(screen).toMatch(/^0\.012 make: \*\*\* No targets\. {2}Stop\.$/m);
    expect(screen).toContain('   3 | >>> RUN make');
  });

  it('auto mode falls back to plain lines when CI is set', async () => {
    const { screen, exitCode } = await runInPty([process.execPath, feed, 'auto'], { env: { CI: 'true' } });
    expect(exitCode).toBe(0);
    expect(screen).toContain('#1 [1/3] FROM docker.io/library/busybox');
    expect(screen).toContain('#3 CACHED');
    expect(screen).not.toContain('[+] Building');
  });
});
