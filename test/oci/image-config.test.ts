import { describe, expect, it } from 'vitest';
import { buildImageConfig, SYNTHETIC_HISTORY_COMMENT, parseSourceDateEpoch } from '../../oci/index.ts';
import { amd64 } from './helpers.ts';

const L = (n: string) => ({ diffID: `sha256:${n.repeat(64)}` as const });

describe('buildImageConfig', () => {
  it('writes every container setting, diff_ids and one history entry per layer', () => {
    const cfg = buildImageConfig(
      {
        platform: amd64,
        config: {
          Labels: { z: '1', a: '2' },
          Cmd: ['sh'],
          Env: ['PATH=/bin'],
          Entrypoint: ['/init'],
          WorkingDir: '/app',
          User: 'app',
          ExposedPorts: { '8080/tcp': {}, '53/udp': {} },
          Volumes: { '/data': {} },
          StopSignal: 'SIGINT',
          Healthcheck: { Retries: 3, Test: ['CMD', 'true'], Interval: 1e9 },
        },
        history: [
          { created: '2024-01-01T00:00:00Z', created_by: 'RUN a' },
          { created_by: 'ENV x', empty_layer: true },
        ],
        created: new Date('2024-05-05T00:00:00Z'),
      },
      [L('a'), L('b')],
    );
    expect(Object.keys(cfg)).toEqual(['created', 'architecture', 'os', 'config', 'rootfs', 'history']);
    expect(Object.keys(cfg.config!)).toEqual([
      'User',
      'ExposedPorts',
      'Env',
      'Entrypoint',
      'Cmd',
      'Volumes',
      'WorkingDir',
      'Labels',
      'StopSignal',
      'Healthcheck',
    ]);
    expect(Object.keys(cfg.config!.Labels!)).toEqual(['a', 'z']);
    expect(Object.keys(cfg.config!.ExposedPorts!)).toEqual(['53/udp', '8080/tcp']);
    expect(cfg.rootfs).toEqual({ type: 'layers', diff_ids: [L('a').diffID, L('b').diffID] });
    expect(cfg.history).toHaveLength(3);
    expect(cfg.history![1]).toEqual({ created_by: 'ENV x', empty_layer: true });
    expect(cfg.history![2]).toMatchObject({ comment: SYNTHETIC_HISTORY_COMMENT, created: '2024-05-05T00:00:00Z' });
    expect(cfg.history!.filter((h) => !h.empty_layer)).toHaveLength(2);
  });

  it('marks surplus history as empty_layer', () => {
    const cfg = buildImageConfig({ platform: amd64, history: [{ created_by: 'a' }, { created_by: 'b' }] }, [L('a')]);
    expect(cfg.history).toEqual([{ created_by: 'a' }, { created_by: 'b', empty_layer: true }]);
  });

  it('clamps the build history and created to SOURCE_DATE_EPOCH, not the base history', () => {
    const cfg = buildImageConfig(
      {
        platform: amd64,
        history: [
          { created: '2030-01-01T00:00:00Z', created_by: 'base' },
          { created: '2031-01-01T00:00:00Z', created_by: 'RUN x' },
          { created: '1999-01-01T00:00:00Z', created_by: 'RUN y' },
        ],
        baseHistoryLength: 1,
        sourceDateEpoch: 1_000_000_000,
      },
      [L('a'), L('b'), L('c')],
    );
    expect(cfg.created).toBe('2001-09-09T01:46:40Z');
    expect(cfg.history!.map((h) => h.created)).toEqual(['2030-01-01T00:00:00Z', '2001-09-09T01:46:40Z', '1999-01-01T00:00:00Z']);
    expect(parseSourceDateEpoch('12')).toBe(12);
    expect(parseSourceDateEpoch(undefined)).toBeUndefined();
    expect(() => parseSourceDateEpoch('yesterday')).toThrow('SOURCE_DATE_EPOCH must be');
  });
});
