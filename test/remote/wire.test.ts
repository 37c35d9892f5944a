// The control messages' wire format: what BuildKit's Go code would read and write. Field bytes are
// checked against hand-computed protobuf encodings; decoding skips fields it does not know.
import { describe, expect, test } from 'vitest';
import { Fields, Writer, timestampMs } from '../../remote/wire.ts';
import { decodeStatus } from '../../remote/control.ts';
import { parseBuilderAddress } from '../../remote/address.ts';

describe('wire', () => {
  test('fields in the order written, defaults omitted, maps sorted by key', () => {
    const w = new Writer().string(1, 'ab').uint(2, 0).uint(3, 300).map(4, { z: '1', a: '2' }).finish();
    expect(Buffer.from(w).toString('hex')).toBe(['0a026162', '18ac02', '2206', '0a0161', '120132', '2206', '0a017a', '120131'].join(''));
  });

  test('negative int64 is ten bytes; reading skips unknown wire types', () => {
    const w = new Writer().uint(1, -1).finish();
    expect(w.length).toBe(11);
    expect(new Fields(w).int(1)).toBe(-1);
    // field 2 fixed64, field 3 fixed32, then field 4 = "x"
    const mixed = Buffer.from('11' + '00'.repeat(8) + '1d' + '00'.repeat(4) + '220178', 'hex');
    expect(new Fields(mixed).string(4)).toBe('x');
  });

  test('a StatusResponse with a vertex, a status, a log and a warning', () => {
    const ts = new Writer().uint(1, 1700000000).uint(2, 5_000_000);
    const vertex = new Writer().string(1, 'sha256:aa').strings(2, ['sha256:bb']).string(3, '[1/2] RUN x').uint(4, true).message(5, ts).string(7, 'boom');
    const status = new Writer().string(1, 'pulling').string(2, 'sha256:aa').uint(4, 10).uint(5, 20);
    const log = new Writer().string(1, 'sha256:aa').uint(3, 2).bytes(4, Buffer.from('out\n'));
    const warning = new Writer().string(1, 'sha256:aa').uint(2, 1).bytes(3, Buffer.from('careful')).bytes(4, Buffer.from('d1'));
    const msg = new Writer().message(1, vertex).message(2, status).message(3, log).message(4, warning).finish();
    const s = decodeStatus(msg);
    expect(s.vertexes).toEqual([{ digest: 'sha256:aa', inputs: ['sha256:bb'], name: '[1/2] RUN x', cached: true, started: 1700000000005, error: 'boom' }]);
    expect(s.statuses[0]).toMatchObject({ id: 'pulling', vertex: 'sha256:aa', current: 10, total: 20 });
    expect(s.logs[0]).toMatchObject({ vertex: 'sha256:aa', stream: 2 });
    expect(Buffer.from(s.logs[0]!.data).toString()).toBe('out\n');
    expect(s.warnings[0]).toMatchObject({ short: 'careful', detail: ['d1'], level: 1 });
    expect(timestampMs(undefined)).toBeUndefined();
  });
});

describe('builder addresses', () => {
  test('the forms buildctl and buildx accept', () => {
    expect(parseBuilderAddress('unix:///run/buildkit/buildkitd.sock')).toMatchObject({ kind: 'unix', path: '/run/buildkit/buildkitd.sock' });
    expect(parseBuilderAddress('tcp://10.0.0.2:1234', { ca: 'ca.pem', cert: 'c.pem', key: 'k.pem' })).toMatchObject({
      kind: 'tcp',
      host: '10.0.0.2',
      port: 1234,
      tls: { ca: 'ca.pem' },
    });
    expect(parseBuilderAddress('docker', {}, {})).toMatchObject({ kind: 'docker', socket: '/var/run/docker.sock' });
    expect(parseBuilderAddress('docker', {}, { DOCKER_HOST: 'unix:///tmp/d.sock' })).toMatchObject({ kind: 'docker', socket: '/tmp/d.sock' });
    expect(parseBuilderAddress('docker://unix:///tmp/x.sock')).toMatchObject({ kind: 'docker', socket: '/tmp/x.sock' });
  });

  test('bad addresses say what is expected', () => {
    expect(() => parseBuilderAddress('http://x')).toThrow(/unknown address; use unix:\/\/\/path.sock, tcp:\/\/host:port, docker/);
    expect(() => parseBuilderAddress('tcp://host')).toThrow(/expected tcp:\/\/HOST:PORT/);
    expect(() => parseBuilderAddress('tcp://h:1', { cert: 'c' })).toThrow(/--tlscert and --tlskey go together/);
    expect(() => parseBuilderAddress('unix:///s', { ca: 'x' })).toThrow(/tcp:\/\/ addresses only/);
    expect(() => parseBuilderAddress('docker', {}, { DOCKER_HOST: 'tcp://1.2.3.4:2375' })).toThrow(/not a unix socket/);
  });
});
