import { describe, expect, it } from 'vitest';
import { advance, IllegalTransitionError, isFinal, type VertexStatus } from '../../solver/vertex-state.ts';

describe('vertex state machine', () => {
  it('follows the drawn paths', () => {
    const s: { status: VertexStatus; digest: string } = { status: 'pending', digest: 'sha256:x' };
    for (const to of ['probing', 'waiting', 'matching', 'queued', 'running', 'saving', 'ran'] as const) advance(s, to);
    expect(isFinal(s.status)).toBe(true);
  });

  it('refuses moves the diagram does not allow', () => {
    const s: { status: VertexStatus; digest: string } = { status: 'pending', digest: 'sha256:x' };
    expect(() => advance(s, 'running')).toThrow(IllegalTransitionError);
    advance(s, 'canceled');
    expect(() => advance(s, 'failed')).toThrow(/illegal move canceled → failed/);
  });
});
