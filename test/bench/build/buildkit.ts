// BuildKit's side of the build benchmark: `docker build` (docker 20.10, BuildKit built into
// dockerd) on the peers' daemon, with the modes mirroring tsbuild's: cold = build cache pruned and
// result image removed; the same Dockerfile with the base images under the peers' names.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Case, Mode } from './cases.ts';
import { debianHint, installHint, peersSetting, startCommand, startPeers, type PeersFolder } from './peers.ts';
import { sync, timed } from './timing.ts';

/** Debian's docker.io CLI: 20.10 builds with BuildKit under DOCKER_BUILDKIT=1 (a newer CLI earlier on PATH may need buildx). */
const defaultCli = '/usr/bin/docker';

/** `FROM busybox` → `FROM busybox:local`: the names docker's store has the peers' base images under. */
export function peerDockerfile(text: string, bases: readonly string[]): string {
  return text.replace(/^(\s*FROM\s+)([^\s:@]+)(?=\s|$)/gim, (all, from: string, name: string) => (bases.includes(name) ? `${from}${name}:local` : all));
}

export class BuildkitSide {
  readonly cli: string;
  readonly env: NodeJS.ProcessEnv;
  readonly version: string;
  readonly data: string;

  constructor(cli: string, env: NodeJS.ProcessEnv, version: string, data: string) {
    this.cli = cli;
    this.env = env;
    this.version = version;
    this.data = data;
  }

  hasImage(name: string): boolean {
    return spawnSync(this.cli, ['image', 'inspect', name], { env: this.env, stdio: 'ignore', timeout: 30_000 }).status === 0;
  }

  /** The case's Dockerfile as BuildKit gets it, written once under the data folder. */
  async dockerfile(c: Case, ctxDir: string): Promise<string> {
    const out = join(this.data, 'buildkit', `${c.name}.Dockerfile`);
    await mkdir(join(this.data, 'buildkit'), { recursive: true });
    await writeFile(out, peerDockerfile(await readFile(join(ctxDir, 'Dockerfile'), 'utf8'), c.bases));
    return out;
  }

  build(c: Case, dockerfile: string, ctxDir: string, m: Mode): Promise<number> {
    const args = ['build', '-q', `--network=${c.network}`, ...(m === 'nocache' ? ['--no-cache'] : []), '-f', dockerfile, '-t', `bench-${c.name}`, ctxDir];
    return timed(this.cli, args, this.env);
  }

  /** What tsbuild's fresh state root is to tsbuild: no build cache (cache mounts included), no result image. */
  clean(c: Case): void {
    spawnSync(this.cli, ['rmi', '-f', `bench-${c.name}`], { env: this.env, stdio: 'ignore' });
    const r = spawnSync(this.cli, ['builder', 'prune', '-af'], { env: this.env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`docker builder prune -af failed: ${r.stderr}`);
    sync();
  }
}

export interface BuildkitStatus {
  readonly side?: BuildkitSide;
  /** Why BuildKit is not measured at all. */
  readonly reason?: string;
  /** Base images docker lacks, each with what to do: their cases run tsbuild only. */
  readonly missing: ReadonlyMap<string, string>;
}

/**
 * Finds the peers' docker daemon with the base images the selected cases need, running start.sh
 * when something is missing.
 */
export function connectBuildkit(peers: PeersFolder, bases: ReadonlySet<string>, data: string): BuildkitStatus {
  const none = new Map<string, string>();
  const cli = process.env.TSBUILD_DOCKER ?? defaultCli;
  if (!existsSync(cli))
    return { reason: `no docker CLI at ${cli} (set TSBUILD_DOCKER to another): ${installHint}, then ${startCommand(peers)}`, missing: none };
  const host = process.env.DOCKER_HOST ?? (peers.dir ? peersSetting(peers.dir, 'DOCKER_HOST') : undefined);
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_BUILDKIT: '1', ...(host ? { DOCKER_HOST: host } : {}) };
  const side = new BuildkitSide(cli, env, '', data);
  const wanted = [...bases].map((b) => `${b}:local`);
  let startError: string | undefined;
  if (!wanted.every((i) => side.hasImage(i))) startError = startPeers(peers);
  const daemon = `the docker daemon${host ? ` at ${host}` : ''}`;
  const v = spawnSync(cli, ['version', '--format', '{{.Server.Version}}'], { env, encoding: 'utf8', timeout: 30_000 });
  if (v.status !== 0) return { reason: `${daemon} does not answer: ${startError ?? `run ${startCommand(peers)}`}`, missing: none };
  if (!side.hasImage('busybox:local')) return { reason: `${daemon} has no busybox:local: ${startError ?? `run ${startCommand(peers)}`}`, missing: none };
  const missing = new Map<string, string>();
  for (const b of bases) if (!side.hasImage(`${b}:local`)) missing.set(b, b === 'debian' ? debianHint(peers) : startCommand(peers));
  return { side: new BuildkitSide(cli, env, v.stdout.trim() || '?', data), missing };
}
