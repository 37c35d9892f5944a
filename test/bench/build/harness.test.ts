// The build benchmark's harness without building: where it looks for the peers, what BuildKit's
// Dockerfile says, and when its table may show a ratio.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseArgs, selected, UsageError } from './args.ts';
import { peerDockerfile } from './buildkit.ts';
import { cases, targets } from './cases.ts';
import { peersCandidates } from './peers.ts';
import { renderReport, type Row } from './report.ts';

const here = dirname(fileURLToPath(import.meta.url));
const bench = resolve(here, '..');

describe('build benchmark harness', () => {
  it('names no absolute path of this machine in its scripts', () => {
    const files = [
      ...readdirSync(bench)
        .filter((f) => /\.(ts|sh)$/.test(f))
        .map((f) => join(bench, f)),
      ...readdirSync(here)
        .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
        .map((f) => join(here, f)),
    ];
    for (const f of files) expect(readFileSync(f, 'utf8'), f).not.toMatch(/\/work\/|\/var\/tmp\/tsbuild-peers/);
  });

  it('finds the shared folder beside the checkout, or where the environment says', () => {
    expect(peersCandidates('/srv/co/tsbuild', {})[0]).toBe('/srv/co/shared/peers');
    expect(peersCandidates('/srv/co/tsbuild', { TSBUILD_SHARED: '/opt/sh' })).toEqual(['/opt/sh/peers']);
    expect(peersCandidates('/srv/co/tsbuild', { TSBUILD_PEERS: '/opt/p', TSBUILD_SHARED: '/opt/sh' })).toEqual(['/opt/p']);
  });

  it("gives BuildKit the same Dockerfile with the peers' base image names", () => {
    const text = 'FROM busybox AS one\nRUN true\nfrom debian\nFROM debian:12\nFROM one\nCOPY --from=one /a /b\n';
    expect(peerDockerfile(text, ['busybox', 'debian'])).toBe(
      'FROM busybox:local AS one\nRUN true\nfrom debian:local\nFROM debian:12\nFROM one\nCOPY --from=one /a /b\n',
    );
  });

  it('has a target for every case and mode', () => {
    for (const c of cases) for (const m of c.modes) expect(targets[`${c.name} ${m}`], `${c.name} ${m}`).toBeDefined();
  });

  it('parses filters and refuses unknown cases and options', () => {
    const o = parseArgs(['--runs', '1', '--recorded', 'a:nochange', 'ten-runs'], {});
    expect(o.recorded).toBe(true);
    const a = cases.find((c) => c.name === 'a-runs')!;
    expect(selected(o, a, 'nochange')).toBe(true);
    expect(selected(o, a, 'cold')).toBe(false);
    expect(
      selected(
        o,
        cases.find((c) => c.name === 'ten-runs')!,
        'nocache',
      ),
    ).toBe(true);
    expect(() => parseArgs(['z-nothing'], {})).toThrow(UsageError);
    expect(() => parseArgs(['a-runs:edit'], {})).toThrow(UsageError);
    expect(() => parseArgs(['--fast'], {})).toThrow(UsageError);
  });
});

describe('build benchmark table', () => {
  const rows: Row[] = [
    { c: 'a-runs', m: 'nochange', ours: [0.1, 0.3, 0.2], theirs: [0.5, 0.4, 0.6] },
    { c: 'e-app', m: 'edit', ours: [1.0], theirs: [1.0] },
    { c: 'e-app', m: 'watch', ours: [0.4] },
  ];
  /** Lines with a ratio cell (two decimals; targets have one). */
  const withRatio = (out: string) => out.split('\n').filter((l) => /\d\.\d\d×/.test(l));

  it('shows ratios of medians from the same run', () => {
    const out = renderReport(rows, { kind: 'live', what: 'docker build' }, { runs: 3, markdown: false });
    expect(out).toMatch(/alternately with tsbuild/);
    const a = out.split('\n').find((l) => l.startsWith('a-runs'))!;
    expect(a).toMatch(/0\.200\s+0\.500\s+0\.40×\s+≤ 0\.5×\s+✔/);
    expect(a).toMatch(/0\.10 0\.30 0\.20\s+0\.50 0\.40 0\.60$/);
    expect(out.split('\n').find((l) => l.startsWith('e-app') && l.includes('edit'))).toMatch(/1\.00×\s+≤ 0\.6×\s+✘/);
    expect(out.split('\n').find((l) => l.includes('watch'))).toMatch(/–\s+≤ 0\.5 s\s+✔/);
  });

  it('shows no ratio without BuildKit, and says why', () => {
    const out = renderReport(
      rows.map(({ c, m, ours }) => ({ c, m, ours })),
      { kind: 'none', reason: 'BuildKit is not available: no docker' },
      { runs: 3, markdown: false },
    );
    expect(out).toMatch(/No ratios: BuildKit is not available: no docker/);
    expect(withRatio(out)).toEqual([]);
  });

  it('marks every ratio against recorded figures as such', () => {
    const seconds = new Map([
      ['a-runs nochange', 0.19],
      ['e-app edit', 1.06],
    ]);
    const out = renderReport(rows, { kind: 'recorded', source: 'a file', seconds }, { runs: 3, markdown: false });
    expect(out.split('\n')[1]).toMatch(/RATIOS AGAINST RECORDED FIGURES, NOT A MEASUREMENT/);
    expect(withRatio(out)).toHaveLength(2);
    for (const l of withRatio(out)) expect(l).toMatch(/\(recorded\).*× vs recorded/);
  });

  it('prints a Markdown table', () => {
    const out = renderReport(rows, { kind: 'live', what: 'docker build' }, { runs: 3, markdown: true });
    const table = out.split('\n').filter((l) => l.startsWith('|'));
    expect(table[0]).toBe('| case | mode | tsbuild s | BuildKit s | ratio | target | ok | tsbuild runs (s) | BuildKit runs (s) |');
    expect(table[1]).toBe(`|${' --- |'.repeat(9)}`);
    expect(table[2]).toBe('| a-runs | nochange | 0.200 | 0.500 | 0.40× | ≤ 0.5× | ✔ | 0.10 0.30 0.20 | 0.50 0.40 0.60 |');
  });
});
