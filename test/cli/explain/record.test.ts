// Records and matching for graphs made with the State API (no step names): slots by op kind and
// position, local manifests from the content hasher, keys from the real solver.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copy, image, local, marshal, type Digest } from '../../../llb/index.ts';
import { ContentHasher } from '../../../executor/contenthash/index.ts';
import { loadDefinitions, type VertexReport } from '../../../solver/index.ts';
import { explain, matchVertices, recordBuild, type VertexRecord } from '../../../cli/explain/index.ts';

const made: string[] = [];
afterAll(async () => {
  for (const d of made) await rm(d, { recursive: true, force: true });
});

function program(cmd: string) {
  const ctx = local('src', { include: ['app/**'], exclude: ['**/*.md'] });
  return image('busybox')
    .file(copy(ctx, 'app/', '/app'))
    .run(['sh', '-c', cmd])
    .root();
}

/** Reports as a solve would give them: everything ran (or as told). */
function reports(graph: ReturnType<typeof loadDefinitions>, status: (name: string) => VertexReport['status'] = () => 'ran'): Map<Digest, VertexReport> {
  return new Map(
    graph.order.map((v) => [
      v.digest,
      {
        digest: v.digest,
        name: v.name,
        status: status(v.name),
        volatile: false,
        perBuild: false,
        definitionKeys: new Map(),
        inputs: v.inputs.map((i) => ({ digest: i.vertex.digest, index: i.index, key: undefined })),
      },
    ]),
  );
}

describe('recordBuild', () => {
  it('records each vertex with its op as JSON, a slot, and the manifest of each local source', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tsbuild-explain-rec-'));
    made.push(dir);
    await mkdir(join(dir, 'app'));
    await writeFile(join(dir, 'app/main.c'), 'int main;\n');
    await writeFile(join(dir, 'app/README.md'), '# x\n');
    await writeFile(join(dir, 'other.c'), '\n');
    const graph = loadDefinitions(marshal(program('make'), { platform: 'linux/amd64' }));
    const rec = await recordBuild({ graph, vertices: reports(graph), locals: { src: dir }, hasher: new ContentHasher(), now: new Date(0) });
    expect(rec.created).toBe('1970-01-01T00:00:00.000Z');
    expect(rec.vertices.map((v) => v.slot)).toEqual(['source #1', 'source #2', 'file #1', 'exec #1']);
    const src = rec.vertices.find((v) => v.local)!;
    expect(src.local).toMatchObject({ name: 'src', dir, include: ['app/**'], exclude: ['**/*.md'] });
    expect(Object.keys(src.local!.manifest)).toEqual(['app/main.c']);
    const exec = rec.vertices.at(-1)!;
    expect(exec.kind).toBe('exec');
    expect(exec.inputs[0]!.name).toBe('copy /app /app');
    // JSON all the way down: what goes to disk comes back equal
    expect(JSON.parse(JSON.stringify(rec))).toEqual(rec);
  });

  it('an unnamed step keeps its slot when its command changes, so the reason is the command', async () => {
    const d1 = marshal(program('make'), { platform: 'linux/amd64' });
    const g1 = loadDefinitions(d1);
    const g2 = loadDefinitions(marshal(program('make all'), { platform: 'linux/amd64' }));
    const hasher = { manifest: async () => new Map() };
    // the definition itself will do, too
    const prev = await recordBuild({ graph: d1, vertices: reports(g1), locals: {}, hasher });
    expect(prev.vertices.map((v) => v.digest)).toEqual(g1.order.map((v) => v.digest));
    const cur = await recordBuild({ graph: g2, vertices: reports(g2, (n) => (n.startsWith('sh') ? 'ran' : 'cached')), locals: {}, hasher });
    const why = explain(prev, cur);
    expect([...why.values()]).toEqual(['command changed']);
  });

  it('a step that failed last time and runs unchanged says so; one whose key is unchanged lost its data', async () => {
    const g = loadDefinitions(marshal(program('make'), { platform: 'linux/amd64' }));
    const hasher = { manifest: async () => new Map() };
    const keyed = (status: (n: string) => VertexReport['status']) => {
      const r = reports(g, status);
      for (const [d, rep] of r) r.set(d, { ...rep, definitionKeys: new Map([[0, `key-of-${d}`]]) } as unknown as VertexReport);
      return r;
    };
    const failed = await recordBuild({ graph: g, vertices: keyed((n) => (n.startsWith('sh') ? 'failed' : 'cached')), locals: {}, hasher });
    const again = await recordBuild({ graph: g, vertices: keyed((n) => (n.startsWith('sh') ? 'ran' : 'cached')), locals: {}, hasher });
    expect([...explain(failed, again).values()]).toEqual(['it failed in the previous build']);
    expect([...explain(again, again).values()]).toEqual(['cached result was removed']);
  });
});

describe('matchVertices', () => {
  const v = (digest: string, name: string, slot: string): VertexRecord => ({
    digest: `sha256:${digest}`,
    name,
    slot,
    kind: 'exec',
    op: {},
    ignoreCache: false,
    status: 'ran',
    definitionKeys: {},
    inputs: [],
  });

  it('pairs by digest, then name, then name without its step counter, then slot; each previous vertex once', () => {
    const prev = [v('a', '[1/3] FROM x', '#1 FROM'), v('b', '[2/3] RUN one', '#2 RUN'), v('c', '[3/3] RUN two', '#3 RUN')];
    const cur = [v('a', '[1/4] FROM x', '#1 FROM'), v('n', '[2/4] RUN new', '#2 RUN'), v('b2', '[3/4] RUN one', '#3 RUN'), v('c2', '[4/4] RUN two', '#4 RUN')];
    const m = matchVertices(prev, cur);
    expect(m.get('sha256:a')?.digest).toBe('sha256:a');
    expect(m.get('sha256:b2')?.digest).toBe('sha256:b');
    expect(m.get('sha256:c2')?.digest).toBe('sha256:c');
    // its slot's previous occupant was already paired by name
    expect(m.has('sha256:n')).toBe(false);
  });
});
