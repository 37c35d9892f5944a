// `git://` sources, with the `git` CLI. The key is the commit the ref resolves to (`git
// ls-remote`), so a moved branch rebuilds and an unchanged one hits without a clone; exec fetches
// that one commit (depth 1) into a fresh snapshot.
import { cp, readdir, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { asyncOnce } from '../../llb/index.ts';
import { runTool, ToolError } from '../../oci/index.ts';
import type { CacheMap, Op, OpContext, Result } from '../../solver/index.ts';
import { tempDir, type OpsContext } from './context.ts';
import { opDigest } from './cache-digest.ts';
import { SourceError } from './errors.ts';
import { writeSnapshot } from './new-snapshot.ts';

export const GIT_SOURCE_KEY = 'tsbuild.source.git.v1';

async function git(args: string[], signal?: AbortSignal): Promise<string> {
  try {
    const { stdout } = await runTool('git', args, {
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1' },
      ...(signal ? { signal } : {}),
    });
    return stdout.toString('utf8');
  } catch (e) {
    if (!(e instanceof ToolError)) throw e;
    if (e.notFound) throw new SourceError('git sources need the git command: install it (apt-get install git)');
    throw new SourceError(
      `git ${args
        .filter((a) => !a.startsWith('-'))
        .slice(0, 3)
        .join(' ')} failed: ${e.detail}`,
    );
  }
}

export class GitSourceOp implements Op {
  readonly #ctx: OpsContext;
  readonly #url: string;
  readonly #ref: string;
  readonly #subdir: string;
  readonly #keepGitDir: boolean;
  readonly #commit = asyncOnce(() => this.#lsRemote());

  constructor(ctx: OpsContext, identifier: string, attrs: Record<string, string>) {
    this.#ctx = ctx;
    const id = identifier.slice('git://'.length);
    const hash = id.indexOf('#');
    const frag = hash >= 0 ? id.slice(hash + 1) : '';
    const colon = frag.indexOf(':');
    this.#ref = colon >= 0 ? frag.slice(0, colon) : frag;
    this.#subdir = colon >= 0 ? frag.slice(colon + 1) : '';
    this.#url = attrs['git.fullurl'] ?? `https://${hash >= 0 ? id.slice(0, hash) : id}`;
    this.#keepGitDir = attrs['git.keepgitdir'] === 'true';
  }

  async #lsRemote(): Promise<string> {
    if (/^[0-9a-f]{40}$/.test(this.#ref)) return this.#ref;
    const want = this.#ref || 'HEAD';
    const out = await git(['ls-remote', '--', this.#url, want, `${want}^{}`]);
    const lines = out
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t') as [string, string]);
    // An annotated tag: the commit it points at (the peeled `^{}` line) is what is checked out.
    const pick =
      lines.find(([, r]) => r.endsWith('^{}')) ?? lines.find(([, r]) => r === want || r === `refs/heads/${want}` || r === `refs/tags/${want}`) ?? lines[0];
    if (!pick) throw new SourceError(`git ${this.#url}: no ref named "${want}"`);
    return pick[0];
  }

  async cacheMap(): Promise<CacheMap> {
    return { digest: opDigest(GIT_SOURCE_KEY, { commit: await this.#commit(), subdir: this.#subdir, keepGitDir: this.#keepGitDir }), deps: [] };
  }

  async exec(ctx: OpContext): Promise<Result[]> {
    const commit = await this.#commit();
    const work = await tempDir(this.#ctx.root, 'git');
    try {
      await git(['-C', work, 'init', '-q'], ctx.signal);
      const ref = this.#ref && !/^[0-9a-f]{40}$/.test(this.#ref) ? this.#ref : commit;
      await git(['-C', work, 'fetch', '-q', '--depth', '1', '--no-tags', '--', this.#url, ref], ctx.signal);
      await git(['-C', work, 'checkout', '-q', '--detach', 'FETCH_HEAD'], ctx.signal);
      const got = (await git(['-C', work, 'rev-parse', 'HEAD'])).trim();
      if (got !== commit) throw new SourceError(`git ${this.#url}: "${this.#ref}" moved while building (was ${commit}, now ${got}); build again`);
      if (!this.#keepGitDir) await rm(join(work, '.git'), { recursive: true, force: true });
      const from = this.#subdir ? join(work, posix.join('/', this.#subdir)) : work;
      const ref2 = await writeSnapshot(this.#ctx, undefined, ctx.vertex.name, async (dir) => {
        for (const name of await readdir(from))
          await cp(join(from, name), join(dir, name), { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
      });
      return [ref2];
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
}
