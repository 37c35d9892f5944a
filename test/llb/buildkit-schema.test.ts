// Checks our schema and bytes against BuildKit's own ops.proto (a test fixture, Apache-2.0):
// the same field numbers and types, the same decoded values, and the same bytes again when
// BuildKit's schema re-encodes what it decoded.
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { encodeMessage, decodeMessage, marshal, image, local, scratch, merge, diff, mkdir, git, http, ociLayout, definitionToBytes } from '../../llb/index.ts';
import type { MessageName } from '../../llb/index.ts';
import { root as ours, messageType } from './support/pb-schema.ts';
import { randomMessage } from './support/random-message.ts';

const text = readFileSync(new URL('./fixtures/buildkit-ops.proto', import.meta.url), 'utf8');
const buildkit = protobuf.parse(text, { keepCase: true }).root;
buildkit.resolveAll();
const bk = (name: string) => buildkit.lookupType(`pb.${name}`);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const messageNames = (ns: protobuf.Namespace): string[] => ns.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type).map((t) => t.name);

/** Compares a protobufjs-decoded BuildKit message with our decoded value, field by field number. */
function sameValues(theirs: protobuf.Type, mine: protobuf.Type, a: any, b: any, path: string): void {
  for (const tf of theirs.fieldsArray) {
    const mf = mine.fieldsById[tf.id]!;
    const present = Object.prototype.hasOwnProperty.call(a, tf.name) && a[tf.name] != null;
    const av = present ? a[tf.name] : undefined;
    const bv = b?.[mf.name];
    const p = `${path}.${tf.name}`;
    if (tf instanceof protobuf.MapField) {
      const ak = present ? Object.keys(av) : [];
      if (ak.length === 0) {
        expect(bv, p).toBeUndefined();
        continue;
      }
      expect(Object.keys(bv).sort(), p).toEqual(ak.sort());
      for (const k of ak) compareOne(tf, mf, av[k], bv[k], `${p}[${k}]`);
    } else if (tf.repeated) {
      if (!present || av.length === 0) {
        expect(bv, p).toBeUndefined();
        continue;
      }
      expect(bv.length, p).toBe(av.length);
      av.forEach((x: unknown, i: number) => compareOne(tf, mf, x, bv[i], `${p}[${i}]`));
    } else {
      if (!present) {
        expect(bv, p).toBeUndefined();
        continue;
      }
      compareOne(tf, mf, av, bv, p);
    }
  }
}

function compareOne(tf: protobuf.Field, mf: protobuf.Field, a: any, b: any, p: string): void {
  if (tf.resolvedType instanceof protobuf.Type) {
    sameValues(tf.resolvedType, mf.resolvedType as protobuf.Type, a, b, p);
  } else if (a instanceof Uint8Array) {
    expect(hex(b), p).toBe(hex(a));
  } else if (typeof a === 'object' && a !== null && 'low' in a) {
    expect(String(b), p).toBe(String(a.toString()));
  } else {
    expect(b, p).toBe(a);
  }
}

function checkAgainstBuildkit(name: MessageName, value: object): void {
  const bytes = encodeMessage(name, value);
  const t = bk(name);
  const decoded = t.decode(bytes);
  sameValues(t, messageType(name), decoded, decodeMessage(name, bytes), name);
  expect(hex(t.encode(decoded).finish())).toBe(hex(bytes));
}

describe('schema', () => {
  it('has every BuildKit message, with the same field numbers, types and labels', () => {
    const theirs = messageNames(buildkit.lookup('pb') as protobuf.Namespace);
    const mine = new Set(messageNames(ours.lookup('pb') as protobuf.Namespace));
    expect(theirs.filter((n) => !mine.has(n))).toEqual([]);
    for (const name of theirs) {
      const t = bk(name);
      const m = messageType(name as MessageName);
      expect(
        m.fieldsArray.map((f) => f.id).sort((x, y) => x - y),
        name,
      ).toEqual(t.fieldsArray.map((f) => f.id).sort((x, y) => x - y));
      for (const tf of t.fieldsArray) {
        const mf = m.fieldsById[tf.id]!;
        const where = `${name}.${tf.name} = ${tf.id}`;
        expect(mf.type, where).toBe(tf.type);
        expect(mf.repeated, where).toBe(tf.repeated);
        expect(mf instanceof protobuf.MapField, where).toBe(tf instanceof protobuf.MapField);
        if (tf instanceof protobuf.MapField) expect((mf as unknown as protobuf.MapField).keyType, where).toBe(tf.keyType);
        expect(mf.partOf?.name, where).toBe(tf.partOf?.name);
      }
    }
  });

  it('has the same enums', () => {
    for (const name of ['NetMode', 'SecurityMode', 'MountType', 'MountContentCache', 'CacheSharingOpt']) {
      expect(ours.lookupEnum(`pb.${name}`).values, name).toEqual(buildkit.lookupEnum(`pb.${name}`).values);
    }
  });
});

describe("BuildKit's schema reads our bytes", () => {
  // protobufjs keeps decoded maps in JS objects, which would reorder integer-like keys on
  // re-encoding; the generator avoids such keys here (codec.test.ts covers them).
  for (const name of ['Op', 'Definition', 'OpMetadata', 'Source', 'FileAction', 'Mount'] as MessageName[]) {
    it(`decodes 150 generated ${name} messages to the same values and re-encodes the same bytes`, () => {
      for (let seed = 1; seed <= 150; seed++) checkAgainstBuildkit(name, randomMessage(name, seed * 31 + 7));
    });
  }

  it('decodes every op of a marshaled build the same way and re-encodes the same bytes', () => {
    const ctx = local('context', { include: ['src'], exclude: ['*.log'] });
    const base = image('alpine:3.20', { platform: 'linux/arm64' }).env('A', '1').dir('/w');
    const run = base.run(['sh', '-c', 'make'], {
      mounts: [
        { type: 'bind', target: '/src', from: ctx, readonly: true, source: '/src' },
        { type: 'cache', target: '/root/.cache', sharing: 'locked' },
        { type: 'tmpfs', target: '/tmp', size: 1 << 20 },
        { type: 'secret', id: 'tok', env: 'TOKEN', target: '/run/secrets/tok', uid: 1000 },
        { type: 'ssh' },
      ],
      network: 'none',
      security: 'insecure',
      validExitCodes: [0, 3],
      extraHosts: [{ host: 'db', ip: '10.0.0.2' }],
      customName: 'build it',
    });
    const files = scratch().file(
      mkdir('/a', 0o700, { chown: 'app:1000', createdTime: new Date(1e12) }).copy(run.root(), 'out/', '/a/', { chmod: 'u+x', include: ['*.bin'] }),
    );
    const st = merge([
      run.root(),
      files,
      diff(base, run.root()),
      git('https://github.com/moby/buildkit.git', 'v0.13.0'),
      http('https://example.com/x.tgz', { checksum: 'sha256:' + 'a'.repeat(64) }),
      ociLayout('store@sha256:' + 'b'.repeat(64)),
    ]);
    const def = marshal(st, { platform: 'linux/amd64' });
    for (const op of def.def) checkAgainstBuildkit('Op', decodeMessage('Op', op));
    const bytes = definitionToBytes(def);
    const t = bk('Definition');
    expect(hex(t.encode(t.decode(bytes)).finish())).toBe(hex(bytes));
  });
});
