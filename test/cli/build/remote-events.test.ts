// A daemon's SolveStatus as tsbuild's SolveEvents: the renderers then show it as a local build.
import { describe, expect, test } from 'vitest';
import { statusToEvents } from '../../../cli/build/remote-events.ts';

describe('statusToEvents', () => {
  test('vertices, statuses, logs and warnings; a vertex BuildKit gave up on is canceled, not failed', () => {
    const convert = statusToEvents();
    const events = convert({
      vertexes: [
        { digest: 'sha256:a', inputs: [], name: '[1/2] FROM x', cached: true, started: 1000, completed: 1000 },
        { digest: 'sha256:b', inputs: ['sha256:a'], name: '[2/2] RUN false', cached: false, started: 1000, completed: 1500, error: 'exit code: 1' },
        { digest: 'sha256:c', inputs: [], name: 'other', cached: false, started: 1000, completed: 1500, error: 'context canceled' },
      ],
      statuses: [{ id: 'transferring context', vertex: 'sha256:a', name: 'transferring', current: 10, total: 0, timestamp: 1200 }],
      logs: [{ vertex: 'sha256:b', stream: 2, data: Buffer.from('boom\n'), timestamp: 1300 }],
      warnings: [{ vertex: 'sha256:b', level: 1, short: 'careful', detail: ['a', 'b'], url: '' }],
    });
    expect(events).toEqual([
      { type: 'vertex', digest: 'sha256:a', name: '[1/2] FROM x', inputs: [], started: 1000, completed: 1000, cached: true },
      { type: 'vertex', digest: 'sha256:b', name: '[2/2] RUN false', inputs: ['sha256:a'], started: 1000, completed: 1500, error: 'exit code: 1' },
      { type: 'vertex', digest: 'sha256:c', name: 'other', inputs: [], started: 1000, completed: 1500, canceled: true, error: 'context canceled' },
      { type: 'status', vertex: 'sha256:a', id: 'transferring context', name: 'transferring', current: 10, timestamp: 1200 },
      { type: 'log', vertex: 'sha256:b', stream: 2, data: Buffer.from('boom\n'), timestamp: 1300 },
      { type: 'warning', vertex: 'sha256:b', level: 1, short: 'careful', detail: 'a\nb' },
    ]);
  });
});
