// What `tsbuild build` and `tsbuild solve` share: options → BuildRequest, one build with a
// progress renderer, the summary, and (with --watch) the rebuild loop.
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { formatPlatform, hostPlatform, parsePlatform, type Platform } from '../../llb/index.ts';
import { defaultRoot, parseOutputSpec, type CacheSpec, type OutputSpec } from '../../oci/index.ts';
import type { BuildOptions } from './build-options.ts';
import { UsageError, UserError } from '../errors.ts';
import { selectRenderer } from '../progress/index.ts';
import { runBuild, type BuildResult } from './run-build.ts';
import { writeBuildFiles } from './export-result.ts';
import { printExplanations } from './explain-build.ts';
import type { BuildRequest, SecretSource } from './request.ts';
import { describeThreshold, exceeds } from '../waste/index.ts';

/** Build files looked for in a directory, in order. */
const BUILD_FILES = ['Dockerfile', 'build.ts'];

/** The build file in a directory: its Dockerfile, else its build.ts. */
export function findBuildFile(dir: string): string {
  for (const name of BUILD_FILES) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  throw new UserError(`no Dockerfile or build.ts in ${dir} (name one with -f, or use --frontend)`);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const dir = await mkdtemp(join(tmpdir(), 'tsbuild-stdin-'));
  const bytes = Buffer.concat(chunks);
  // Text on stdin is a Dockerfile; bytes are a definition (see run-build's detection), and so is
  // nothing at all: the empty definition that `debug build-llb` writes for scratch.
  const file = join(dir, bytes.length === 0 || bytes[0] === 0x0a ? 'definition.pb' : 'Dockerfile');
  await writeFile(file, bytes);
  return file;
}

/** `--platform`'s list, `local` meaning this machine's, each platform once. */
function platformsOf(opts: BuildOptions): Platform[] {
  const list = opts.platforms.map((p) => (p === 'local' ? hostPlatform() : parsePlatform(p)));
  const unique = [...new Map(list.map((p) => [formatPlatform(p), p])).values()];
  return unique.length > 0 ? unique : [hostPlatform()];
}

function platformFields(platforms: readonly Platform[]): Pick<BuildRequest, 'platform' | 'platforms'> {
  return platforms.length > 1 ? { platform: platforms[0]!, platforms } : { platform: platforms[0]! };
}

function secretsOf(opts: BuildOptions): Record<string, SecretSource> {
  const out: Record<string, SecretSource> = {};
  for (const s of opts.secrets) out[s.id] = s.kind === 'file' ? { file: resolve(s.src) } : { env: s.env };
  return out;
}

function sshOf(opts: BuildOptions): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of opts.ssh) {
    const socket = s.paths[0] ?? process.env.SSH_AUTH_SOCK;
    if (!socket) throw new UserError(`--ssh ${s.id}: no socket given and SSH_AUTH_SOCK is not set`);
    out[s.id] = resolve(socket);
  }
  return out;
}

function outputsOf(opts: BuildOptions): OutputSpec[] {
  return opts.outputs.map((o) => {
    try {
      return parseOutputSpec(o.raw);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  });
}

/** A local cache's directory is taken from the working directory of the command. */
function absoluteDir(spec: CacheSpec): CacheSpec {
  return spec.type === 'local' ? { ...spec, dir: resolve(spec.dir) } : spec;
}

export async function toRequest(opts: BuildOptions, command: 'build' | 'solve'): Promise<BuildRequest> {
  let file: string;
  let contextDir: string;
  if (command === 'build') {
    contextDir = resolve(opts.context);
    if (!existsSync(contextDir) || !statSync(contextDir).isDirectory()) throw new UserError(`build context ${opts.context}: not a directory`);
    file = opts.file ? resolve(opts.file) : findBuildFile(contextDir);
  } else {
    const target = opts.context === '-' ? await readStdin() : resolve(opts.context);
    if (!existsSync(target)) throw new UserError(`${opts.context}: no such file or directory`);
    file = statSync(target).isDirectory() ? findBuildFile(target) : target;
    contextDir = resolve(opts.contextDir ?? (opts.context === '-' ? process.cwd() : dirname(file)));
  }
  const platforms = platformsOf(opts);
  const outputs = outputsOf(opts);
  if (platforms.length > 1 && outputs.some((o) => o.type === 'docker')) {
    throw new UserError(
      `type=docker holds one image, and --platform asks for ${platforms.length} (${platforms.map((p) => formatPlatform(p)).join(', ')}): use type=oci or type=image, or build one platform`,
    );
  }
  const locals: Record<string, string> = {};
  for (const [name, path] of Object.entries(opts.locals)) locals[name] = resolve(path);
  return {
    file,
    contextDir,
    locals,
    ...(opts.frontend ? { frontend: opts.frontend } : {}),
    ...(opts.target ? { target: opts.target } : {}),
    buildArgs: opts.buildArgs,
    ...platformFields(platforms),
    noResolve: opts.noResolve,
    noCache: opts.noCache,
    pull: opts.pull,
    secrets: secretsOf(opts),
    ssh: sshOf(opts),
    labels: opts.labels,
    network: opts.network,
    outputs,
    cacheFrom: opts.cacheFrom.map(absoluteDir),
    cacheTo: opts.cacheTo.map(absoluteDir),
    tags: opts.tags,
    ...(opts.maxParallelism !== undefined ? { maxParallelism: opts.maxParallelism } : {}),
    explain: opts.explain,
    checkBase: opts.checkBase,
    wasteImageSize: opts.failOnWaste?.kind === 'ratio',
    root: defaultRoot(),
    ...(opts.iidfile ? { iidfile: resolve(opts.iidfile) } : {}),
    ...(opts.metadataFile ? { metadataFile: resolve(opts.metadataFile) } : {}),
    ...(opts.builder ? { builder: opts.builder } : {}),
  };
}

/** One build with progress; returns the result after the renderer has finished writing. */
export async function buildOnce(req: BuildRequest, opts: BuildOptions, signal?: AbortSignal): Promise<BuildResult> {
  const renderer = await selectRenderer(opts.progress);
  let result: BuildResult;
  try {
    result = await runBuild(req, {
      onEvent: (e) => renderer.onEvent(e),
      onWarning: (m) => process.stderr.write(`WARNING: ${m}\n`),
      stdout: process.stdout,
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    await renderer.done(err);
    throw err;
  }
  await renderer.done(result.ok ? undefined : new Error(result.message));
  return result;
}

export function summarize(result: Extract<BuildResult, { ok: true }>, opts: BuildOptions): void {
  const ex = result.exported;
  if (opts.quiet) {
    const id = ex.configDigest ?? ex.imageDigest;
    if (id) process.stdout.write(`${id}\n`);
    return;
  }
  const lines: string[] = [];
  if (ex.imageDigest) lines.push(`image ${ex.imageDigest}`);
  for (const name of ex.names) lines.push(`naming to ${name}`);
  for (const ref of ex.pushed) lines.push(`pushed ${ref}`);
  for (const w of ex.written) if (!w.startsWith('image')) lines.push(`wrote ${w}`);
  process.stderr.write(lines.map((l) => ` => ${l}\n`).join(''));
}

export async function runBuildCommand(opts: BuildOptions, command: 'build' | 'solve', signal?: AbortSignal): Promise<number> {
  const req = await toRequest(opts, command);
  if (opts.watch) {
    const { watchBuild } = await import('../watch/index.ts');
    return watchBuild(req, opts);
  }
  const result = await buildOnce(req, opts, signal);
  if (opts.explain) printExplanations(result.explanations, (s) => process.stderr.write(s));
  if (!result.ok) {
    process.stderr.write(`ERROR: ${result.message}\n`);
    return 1;
  }
  summarize(result, opts);
  await writeBuildFiles(result.exported, {
    ...(opts.iidfile ? { iidfile: opts.iidfile } : {}),
    ...(opts.metadataFile ? { metadataFile: opts.metadataFile } : {}),
  });
  return failOnWaste(result.exported, opts);
}

/** `--fail-on-waste`: the image is written either way; the exit code tells CI. */
function failOnWaste(exported: Extract<BuildResult, { ok: true }>['exported'], opts: BuildOptions): number {
  const limit = opts.failOnWaste;
  if (!limit) return 0;
  const waste = exported.waste;
  if (!waste) {
    process.stderr.write('WARNING: --fail-on-waste: no image layers were exported (type=local or type=tar), nothing was checked\n');
    return 0;
  }
  if (!exceeds(limit, waste.deadBytes, waste.sizeBytes ?? 0)) return 0;
  const size = waste.sizeBytes === undefined ? '' : ` (image: ${waste.sizeBytes} bytes)`;
  process.stderr.write(
    `ERROR: the build's steps delete or overwrite ${waste.deadBytes} bytes that earlier steps added${size}, more than --fail-on-waste allows (${describeThreshold(limit)})\n`,
  );
  return 1;
}
