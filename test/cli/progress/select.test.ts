import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isProgressMode, resolveMode, selectRenderer } from '../../../cli/progress/index.ts';
import { A, T0, vertex } from './events.ts';

describe('progress mode selection', () => {
  it('auto is tty only on a terminal outside CI', () => {
    expect(resolveMode('auto', { isTTY: true }, {})).toBe('tty');
    expect(resolveMode('auto', { isTTY: false }, {})).toBe('plain');
    expect(resolveMode('auto', {}, {})).toBe('plain');
    expect(resolveMode('auto', { isTTY: true }, { CI: 'true' })).toBe('plain');
    expect(resolveMode('auto', { isTTY: true }, { CI: '1' })).toBe('plain');
    expect(resolveMode('auto', { isTTY: true }, { CI: 'false' })).toBe('tty');
    expect(resolveMode('rawjson', { isTTY: true }, {})).toBe('rawjson');
    expect(resolveMode('tty', { isTTY: false }, { CI: 'true' })).toBe('tty');
  });

  it('knows the modes', () => {
    expect(['auto', 'tty', 'plain', 'rawjson', 'quiet'].every(isProgressMode)).toBe(true);
    expect(isProgressMode('json')).toBe(false);
  });

  it('writes to the stream it is given', async () => {
    let plain = '';
    const p = await selectRenderer('auto', { stream: { write: (s: string) => (plain += s) }, env: {}, clock: () => T0 });
    p.onEvent(vertex(A, 'step', { started: T0, completed: T0 + 1000 }));
    await p.done();
    expect(plain).toBe('#1 step\n#1 DONE 1.0s\n');
    let json = '';
    const j = await selectRenderer('rawjson', { stream: { write: (s: string) => (json += s) } });
    j.onEvent(vertex(A, 'step'));
    expect(JSON.parse(json).vertexes[0].name).toBe('step');
    let quiet = '';
    const q = await selectRenderer('quiet', { stream: { write: (s: string) => (quiet += s) } });
    q.onEvent(vertex(A, 'step', { started: T0 }));
    await q.done('failed');
    expect(quiet).toBe('');
  });

  it('loads Ink and React only for the tty view', () => {
    const probe = (mode: string) =>
      JSON.parse(execFileSync(process.execPath, [join(import.meta.dirname, 'fixtures', 'lazy-ink.ts'), mode], { encoding: 'utf8' }));
    expect(probe('plain')).toEqual({ ui: false });
    expect(probe('quiet')).toEqual({ ui: false });
    expect(probe('rawjson')).toEqual({ ui: false });
    // The probe's positive control: a tty stream does load them.
    expect(probe('auto')).toEqual({ ui: true });
  });
});
