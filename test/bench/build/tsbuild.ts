// tsbuild's side of the build benchmark: the CLI as a separate process per build, on a state root
// that starts as a copy of a seed holding only the base images (as docker's store holds
// busybox:local and debian:local), reset between cold builds as docker's side is.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Case, Mode } from './cases.ts';
import { peersRegistry } from './peers.ts';
import { sync, timed } from './timing.ts';

/** The peers' registry copy of debian:local, pulled once into the seed. */
export const debianInRegistry = `${peersRegistry}/debian:latest`;

export class TsbuildSide {
  readonly repo: string;
  readonly data: string;
  readonly seedRoot: string;
  readonly runRoot: string;
  /** Builds on the run root go through a build server, started on each fresh run root. */
  readonly server: boolean;

  constructor(repo: string, data: string, server = false) {
    this.repo = repo;
    this.data = data;
    this.server = server;
    this.seedRoot = join(data, 'root-seed');
    this.runRoot = join(data, 'root-run');
  }

  get bin(): string {
    return join(this.repo, 'cli/bin.js');
  }

  run(root: string, args: readonly string[]): Promise<number> {
    return timed(process.execPath, [this.bin, ...args], { ...process.env, TSBUILD_ROOT: root });
  }

  /** The build of one case in one mode, on the run root. */
  build(c: Case, ctxDir: string, m: Mode): Promise<number> {
    return this.run(this.runRoot, buildArgs(c, ctxDir, m));
  }

  /** Puts the base images into the seed root once: busybox built from the host's, debian pulled and unpacked. */
  async seed(bases: ReadonlySet<string>): Promise<void> {
    if (!existsSync(join(this.seedRoot, '.seeded'))) {
      await rm(this.seedRoot, { recursive: true, force: true });
      await mkdir(this.seedRoot, { recursive: true });
      const example = join(this.repo, 'examples/busybox');
      await this.run(this.seedRoot, [
        'build',
        '--progress=quiet',
        '-f',
        join(example, 'build.ts'),
        '--local',
        'busybox=/usr/bin',
        '-t',
        'busybox:latest',
        example,
      ]);
      await appendFile(join(this.seedRoot, '.seeded'), '');
    }
    if (!existsSync(join(this.seedRoot, '.seeded-busybox-unpacked'))) {
      // Unpacked, as docker's store holds busybox:local: a cold build starts from the base's files.
      await this.run(this.seedRoot, ['run', 'busybox:latest', 'true']);
      await appendFile(join(this.seedRoot, '.seeded-busybox-unpacked'), '');
    }
    if (bases.has('debian') && !existsSync(join(this.seedRoot, '.seeded-debian'))) {
      // FROM-only build: pulls the image and names it, so `FROM debian` resolves from the store;
      // `run` unpacks its layers, as `docker load` did for docker's copy.
      const ctx = join(this.data, 'seed-debian');
      await mkdir(ctx, { recursive: true });
      await writeFile(join(ctx, 'Dockerfile'), `FROM ${debianInRegistry}\n`);
      await this.run(this.seedRoot, ['build', '--progress=quiet', '--network=none', '-t', 'debian:latest', ctx]);
      await this.run(this.seedRoot, ['run', 'debian:latest', 'true']);
      await appendFile(join(this.seedRoot, '.seeded-debian'), '');
    }
  }

  /**
   * A run root without build cache, reset as docker's side is (`docker builder prune -af`, the
   * case's image removed): `prune --all` keeps the stored base images with their unpacked layers
   * and drops every build result and the remembered file digests; the server restarts, so
   * nothing stays in memory either. The first is a copy of the seed. Copying a whole root before
   * each cold build made the builds' own file creation slow on this kind of VM (about 1 ms of
   * system time per file for a while after), which docker's reset does not cause.
   */
  async freshRoot(c?: Case): Promise<void> {
    await this.#stopServer();
    // A run root from before the seed gained a base image (an earlier run of other cases) is copied again.
    const markers = ['.seeded', '.seeded-busybox-unpacked', '.seeded-debian'].filter((m) => existsSync(join(this.seedRoot, m)));
    if (markers.every((m) => existsSync(join(this.runRoot, m)))) {
      if (c) spawnSync(process.execPath, [this.bin, 'rmi', `bench-${c.name}`], { env: { ...process.env, TSBUILD_ROOT: this.runRoot }, stdio: 'ignore' });
      await this.run(this.runRoot, ['prune', '--all']);
    } else {
      await rm(this.runRoot, { recursive: true, force: true });
      execFileSync('cp', ['-a', '--reflink=auto', this.seedRoot, this.runRoot]);
    }
    sync();
    if (this.server) await this.run(this.runRoot, ['server', '--detach', '--idle-timeout', '0']);
  }

  async #stopServer(): Promise<void> {
    if (this.server && existsSync(join(this.runRoot, 'run', 'server.sock'))) await this.run(this.runRoot, ['server', '--stop']);
  }

  async dropRunRoot(): Promise<void> {
    await this.#stopServer();
    await rm(this.runRoot, { recursive: true, force: true });
  }
}

export function buildArgs(c: Case, ctxDir: string, m: Mode): string[] {
  return ['build', '--progress=quiet', `--network=${c.network}`, ...(m === 'nocache' ? ['--no-cache'] : []), '-t', `bench-${c.name}`, ctxDir];
}
