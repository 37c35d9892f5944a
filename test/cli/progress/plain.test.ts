import { describe, expect, it } from 'vitest';
import { createPlainRenderer, statusText } from '../../../cli/progress/index.ts';
import type { SolveEvent } from '../../../solver/index.ts';
import type { SourceEvent } from '../../../cli/progress/index.ts';
import { A, B, C, T0, log, status, successfulBuild, vertex, warning } from './events.ts';

async function run(events: (SolveEvent | SourceEvent)[], error?: string, clock = () => T0 + 10_000): Promise<string> {
  let out = '';
  const r = createPlainRenderer({ write: (s: string) => (out += s) }, clock);
  for (const e of events) r.onEvent(e);
  await r.done(error);
  return out;
}

describe('plain progress', () => {
  it('prints BuildKit-style numbered blocks', async () => {
    expect(await run(successfulBuild())).toBe(
      [
        '#1 [1/2] FROM docker.io/library/busybox',
        '#1 sha256:0123456789ab 0B / 1.91MB',
        '#1 sha256:0123456789ab 1.91MB / 1.91MB 1.2s done',
        '#1 DONE 1.4s',
        '',
        '#2 [2/2] RUN make',
        '#2 0.512 compiling',
        '#2 0.600 linking',
        '#2 DONE 2.1s',
        '',
      ].join('\n'),
    );
  });

  it('uses 3, 2 and 1 decimals for log offsets under 10 s, under 100 s and above', async () => {
    const out = await run([vertex(A, 'run', { started: T0 }), log(A, T0 + 9_999, 'a\n'), log(A, T0 + 12_345, 'b\n'), log(A, T0 + 123_456, 'c\n')]);
    expect(out.split('\n').slice(1, 4)).toEqual(['#1 9.999 a', '#1 12.35 b', '#1 123.5 c']);
  });

  it('closes a running block with "..." when output switches to another step', async () => {
    const out = await run([
      vertex(A, 'stage a', { started: T0 }),
      vertex(B, 'stage b', { started: T0 }),
      log(A, T0 + 1000, 'from a\n'),
      vertex(B, 'stage b', { started: T0, completed: T0 + 2000 }),
      vertex(A, 'stage a', { started: T0, completed: T0 + 3000 }),
    ]);
    expect(out).toBe(
      [
        '#1 stage a',
        '#1 ...',
        '',
        '#2 stage b',
        '#2 ...',
        '',
        '#1 stage a',
        '#1 1.000 from a',
        '#1 ...',
        '',
        '#2 stage b',
        '#2 DONE 2.0s',
        '',
        '#1 stage a',
        '#1 DONE 3.0s',
        '',
      ].join('\n'),
    );
  });

  it('prints CACHED, WARN and CANCELED', async () => {
    const out = await run([
      vertex(A, '[1/3] FROM busybox', { started: T0, completed: T0, cached: true }),
      vertex(B, '[2/3] RUN a', { started: T0 }),
      warning(B, 'something odd'),
      vertex(B, '[2/3] RUN a', { started: T0, completed: T0 + 100, canceled: true }),
    ]);
    expect(out).toBe(['#1 [1/3] FROM busybox', '#1 CACHED', '', '#2 [2/3] RUN a', '#2 WARN: something odd', '#2 CANCELED', ''].join('\n'));
  });

  it('repeats a progress row only after 5% more of the total, 5 s, or when it completes', async () => {
    const row = (current: number, at: number, completed?: number) => status(A, 'pull', current, at, { total: 1000, started: T0, completed });
    const out = await run([
      vertex(A, 'download', { started: T0 }),
      row(0, T0),
      row(10, T0 + 100),
      row(60, T0 + 200),
      row(70, T0 + 5300),
      row(1000, T0 + 5400, T0 + 5400),
      row(1000, T0 + 5500, T0 + 5400),
    ]);
    expect(out.split('\n').filter((l) => l.startsWith('#1 pull'))).toEqual([
      '#1 pull 0B / 1000B',
      '#1 pull 60B / 1000B 0.2s',
      '#1 pull 70B / 1000B 5.3s',
      '#1 pull 1000B / 1000B 5.4s done',
    ]);
  });

  it('ends a failed build with the step output tail and the source lines, failing line marked', async () => {
    const source = {
      file: 'Dockerfile',
      lines: [
        { number: 1, text: 'FROM busybox' },
        { number: 2, text: 'RUN false' },
      ],
      highlight: [2],
    };
    const out = await run(
      [
        { type: 'source', vertex: B, sourceLines: source },
        vertex(A, '[1/2] FROM busybox', { started: T0, completed: T0, cached: true }),
        vertex(B, '[2/2] RUN false', { started: T0 }),
        vertex(C, '[3/3] RUN never'),
        log(B, T0 + 5, 'about to fail\n'),
        vertex(B, '[2/2] RUN false', { started: T0, completed: T0 + 300, error: 'process "/bin/sh -c false" did not complete successfully: exit code: 1' }),
      ],
      'failed to solve',
    );
    expect(out).toBe(
      [
        '#1 [1/2] FROM busybox',
        '#1 CACHED',
        '',
        '#2 [2/2] RUN false',
        '#2 0.005 about to fail',
        '#2 ERROR: process "/bin/sh -c false" did not complete successfully: exit code: 1',
        '',
        '------',
        ' > [2/2] RUN false:',
        '0.005 about to fail',
        '------',
        'Dockerfile:2',
        '--------------------',
        '   1 |     FROM busybox',
        '   2 | >>> RUN false',
        '--------------------',
        '',
      ].join('\n'),
    );
  });

  it('formats a row without a total or a start as the id and amount only', () => {
    expect(statusText({ id: 'transferring context:', current: 2048, timestamp: T0 })).toBe('transferring context: 2kB');
    expect(statusText({ id: 'exporting layers', current: 0, timestamp: T0, started: T0, completed: T0 + 5 })).toBe('exporting layers done');
  });
});
