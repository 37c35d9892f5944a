import { describe, expect, it } from 'vitest';
import { createRawJsonRenderer } from '../../../cli/progress/index.ts';
import { A, B, T0, log, status, vertex, warning } from './events.ts';

describe('rawjson progress', () => {
  it('writes one SolveStatus object per line with base64 data and RFC 3339 times', async () => {
    let out = '';
    const r = createRawJsonRenderer({ write: (s: string) => (out += s) });
    r.onEvent(vertex(B, '[2/2] RUN make', { inputs: [A], started: T0, completed: T0 + 1500 }));
    r.onEvent(vertex(A, 'pull', { started: T0, completed: T0 + 1, canceled: true }));
    r.onEvent(status(A, 'layer', 5, T0 + 2, { total: 10, started: T0 }));
    r.onEvent(log(B, T0 + 3, 'hi\n', 2));
    r.onEvent(warning(B, 'odd'));
    r.onEvent({ type: 'source', vertex: B, sourceLines: { file: 'Dockerfile', lines: [], highlight: [] } });
    await r.done('boom');
    expect(out.split('\n')).toEqual([
      `{"vertexes":[{"digest":"${B}","inputs":["${A}"],"name":"[2/2] RUN make","started":"2024-01-02T03:04:05.000Z","completed":"2024-01-02T03:04:06.500Z"}]}`,
      `{"vertexes":[{"digest":"${A}","name":"pull","started":"2024-01-02T03:04:05.000Z","completed":"2024-01-02T03:04:05.001Z","error":"context canceled"}]}`,
      `{"statuses":[{"id":"layer","vertex":"${A}","total":10,"current":5,"timestamp":"2024-01-02T03:04:05.002Z","started":"2024-01-02T03:04:05.000Z"}]}`,
      `{"logs":[{"vertex":"${B}","stream":2,"data":"aGkK","timestamp":"2024-01-02T03:04:05.003Z"}]}`,
      `{"warnings":[{"vertex":"${B}","level":1,"short":"b2Rk"}]}`,
      '',
    ]);
  });

  it('marks cached vertices', () => {
    let out = '';
    createRawJsonRenderer({ write: (s: string) => (out += s) }).onEvent(vertex(A, 'x', { cached: true }));
    expect(JSON.parse(out)).toEqual({ vertexes: [{ digest: A, name: 'x', cached: true }] });
  });
});
