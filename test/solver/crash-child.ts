// Solves crashGraph(seed) against the disk store in `root`, writing result data as files the way
// a real op commits a snapshot: temp file, fsync, rename — always before the solver records it.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DiskCacheStore, loadGraph, solve } from '../../solver/index.ts';
import { crashGraph } from './crash-graph.ts';
import { FakeResolver, type NumResult } from './fakes.ts';

const [root, seedText] = process.argv.slice(2);
const dataDir = join(root!, 'data');
mkdirSync(dataDir, { recursive: true });

/** Result data on disk: a committed file per result id. */
class FileData extends Map<string, number> {
  override set(id: string, value: number): this {
    const file = join(dataDir, encodeURIComponent(id));
    const tmp = `${file}.tmp-${process.pid}`;
    const fd = openSync(tmp, 'w');
    writeSync(fd, String(value));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, file);
    return this;
  }
  override get(id: string): number | undefined {
    const file = join(dataDir, encodeURIComponent(id));
    return existsSync(file) ? Number(readFileSync(file, 'utf8')) : undefined;
  }
}

const { graph, target } = crashGraph(Number(seedText));
const store = new DiskCacheStore(root!);
const resolver = new FakeResolver(new FileData(), `${process.pid}-`);
process.stdout.write('ready\n');
const outcome = await solve(loadGraph(graph.input(target)), { resolver, store, maxParallelism: 2 });
store.close();
if (!outcome.ok) {
  process.stderr.write(`${outcome.failure.message}\n`);
  process.exit(1);
}
process.stdout.write(`done ${(outcome.results[0] as NumResult).value}\n`);
