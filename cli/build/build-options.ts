// `tsbuild build`'s command line: docker buildx build's flags with docker's meanings, parsed into
// a typed object. Every bad value is a UsageError that names the flag, the value and what is
// accepted; nothing here touches the disk (the command validates paths when it uses them).
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { CacheSpecError, parseCacheSpec, splitCsv, type CacheSpec } from '../../oci/index.ts';
import { UsageError } from '../errors.ts';
import { isProgressMode, progressModes, type ProgressMode } from '../progress/index.ts';
import { parseWasteThreshold, type WasteThreshold } from '../waste/index.ts';

export const outputTypes = ['local', 'tar', 'oci', 'docker', 'image', 'registry'] as const;
export type OutputType = (typeof outputTypes)[number];

export interface OutputSpec {
  /** The flag's value as given; the exporter side parses its own keys. */
  readonly raw: string;
  readonly type: OutputType;
  /** All key=value pairs, `type` included, after docker's shorthands (`-o dir`, `-o -`). */
  readonly attrs: Readonly<Record<string, string>>;
}

export type SecretSpec =
  { readonly id: string; readonly kind: 'file'; readonly src: string } | { readonly id: string; readonly kind: 'env'; readonly env: string };

export interface SshSpec {
  readonly id: string;
  /** Agent sockets or key files; empty means `$SSH_AUTH_SOCK`. */
  readonly paths: readonly string[];
}

export const networkModes = ['default', 'none', 'host'] as const;
export type NetworkMode = (typeof networkModes)[number];

export interface BuildOptions {
  readonly help: false;
  /** The build context: a directory, a URL, or `-` for stdin, as given. */
  readonly context: string;
  readonly file?: string;
  readonly tags: readonly string[];
  readonly target?: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly outputs: readonly OutputSpec[];
  /** `--cache-from` (repeatable): build cache to import before solving. */
  readonly cacheFrom: readonly CacheSpec[];
  /** `--cache-to` (repeatable): where to export this build's cache. */
  readonly cacheTo: readonly CacheSpec[];
  /** `quiet` when `-q` is given without `--progress`. */
  readonly progress: ProgressMode;
  readonly noCache: boolean;
  readonly pull: boolean;
  readonly secrets: readonly SecretSpec[];
  readonly ssh: readonly SshSpec[];
  readonly platforms: readonly string[];
  readonly network: NetworkMode;
  readonly labels: Readonly<Record<string, string>>;
  readonly iidfile?: string;
  readonly metadataFile?: string;
  readonly maxParallelism?: number;
  readonly quiet: boolean;
  readonly watch: boolean;
  readonly explain: boolean;
  /** `--check-base`: waste warnings also for bytes of the base image that the build deletes. */
  readonly checkBase: boolean;
  /** `--fail-on-waste`: exit 1 when the bytes the warnings report exceed it. */
  readonly failOnWaste?: WasteThreshold;
  /** Named local sources (`--local name=path`), as in buildctl. */
  readonly locals: Readonly<Record<string, string>>;
  readonly frontend?: string;
  /** `solve --context DIR`: the build context when it is not the build file's directory. */
  readonly contextDir?: string;
  readonly noResolve: boolean;
  readonly debug: boolean;
  /** `--builder ADDR` (else `$BUILDKIT_HOST`): run the build on a BuildKit daemon. */
  readonly builder?: BuilderFlags;
}

export interface BuilderFlags {
  readonly address: string;
  readonly tlsCa?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly tlsServerName?: string;
}

export type ParsedBuildArgs = BuildOptions | { readonly help: true };

const options = {
  file: { type: 'string', short: 'f' },
  tag: { type: 'string', short: 't', multiple: true },
  target: { type: 'string' },
  'build-arg': { type: 'string', multiple: true },
  output: { type: 'string', short: 'o', multiple: true },
  'cache-from': { type: 'string', multiple: true },
  'cache-to': { type: 'string', multiple: true },
  progress: { type: 'string' },
  'no-cache': { type: 'boolean' },
  pull: { type: 'boolean' },
  secret: { type: 'string', multiple: true },
  ssh: { type: 'string', multiple: true },
  platform: { type: 'string', multiple: true },
  network: { type: 'string' },
  label: { type: 'string', multiple: true },
  iidfile: { type: 'string' },
  'metadata-file': { type: 'string' },
  'max-parallelism': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  watch: { type: 'boolean' },
  explain: { type: 'boolean' },
  'check-base': { type: 'boolean' },
  'fail-on-waste': { type: 'string' },
  local: { type: 'string', multiple: true },
  frontend: { type: 'string' },
  context: { type: 'string' },
  'no-resolve': { type: 'boolean' },
  debug: { type: 'boolean' },
  builder: { type: 'string' },
  tlscacert: { type: 'string' },
  tlscert: { type: 'string' },
  tlskey: { type: 'string' },
  tlsservername: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The options `build` and `solve` share, one per line as `--help` shows them. */
const sharedOptions = `  -f, --file PATH              Dockerfile or build.ts (default: CONTEXT/Dockerfile, or CONTEXT/build.ts)
  -t, --tag NAME[:TAG]         Name the image in the local store (repeatable)
      --target NAME            Build this stage (Dockerfile) or named export (build.ts)
      --build-arg KEY[=VALUE]  Set a build argument; KEY alone takes $KEY (repeatable)
  -o, --output SPEC            Where the result goes (repeatable): type=local,dest=DIR |
                               type=tar,dest=FILE | type=oci|docker,dest=FILE | type=image,name=NAME[,push=true] |
                               type=registry,name=NAME; DIR alone means type=local, "-" a tar on stdout
      --cache-from SPEC        Import build cache (repeatable): type=registry,ref=REF | type=local,src=DIR[,tag=T];
                               REF alone means type=registry. A missing cache is a warning
      --cache-to SPEC          Export build cache (repeatable): type=registry,ref=REF | type=local,dest=DIR[,tag=T] |
                               type=inline (in the pushed image's config),
                               with [mode=min|max][,compression=gzip|zstd|uncompressed][,oci-mediatypes=BOOL]
                               [,image-manifest=BOOL][,ignore-error=BOOL]
      --progress MODE          auto, tty, plain, rawjson or quiet (default: auto)
      --no-cache               Do not use the build cache
      --pull                   Always check the registry for newer base images
      --secret SPEC            id=ID,src=PATH | id=ID,env=VAR; id defaults to the file's name
                               (repeatable)
      --ssh SPEC               default | ID[=SOCKET|KEY[,KEY]] (repeatable)
      --platform OS/ARCH[/V]   Target platform(s), comma-separated or repeated
      --network MODE           Network for RUN: default, none or host
      --label KEY=VALUE        Set an image label (repeatable)
      --iidfile PATH           Write the image digest to PATH
      --metadata-file PATH     Write build metadata (JSON) to PATH
      --max-parallelism N      Run at most N steps at once
  -q, --quiet                  No progress; print the image digest on success
      --watch                  Rebuild when files of the context change
      --explain                Say why each step that ran did not come from the cache
      --check-base             Also warn when a step deletes or overwrites files of the base image
      --fail-on-waste LIMIT    Exit 1 when the bytes the build's waste warnings report exceed
                               LIMIT: a ratio of the image size (0.1, 10%) or bytes (10MB, 512KiB)
      --local NAME=PATH        Map a named local source to a directory (repeatable)
      --frontend NAME|PATH     Frontend to use: dockerfile, typescript, a path or a package
      --no-resolve             Do not contact registries to resolve base image configs
      --builder ADDR           Run the build on a BuildKit daemon (default: $BUILDKIT_HOST):
                               unix:///run/buildkit/buildkitd.sock | tcp://HOST:PORT | docker |
                               docker://unix:///var/run/docker.sock (the BuildKit inside dockerd)
      --tlscacert, --tlscert, --tlskey PATH, --tlsservername NAME
                               TLS for a tcp:// builder
      --debug                  Show stack traces with errors
`;

const helpLine = '  -h, --help                   Show this help\n';

export const buildUsage = `Usage: tsbuild build [OPTIONS] CONTEXT

Build an image from a context directory, with docker buildx build's flags.

Options:
${sharedOptions}${helpLine}`;

export const solveUsage = `Usage: tsbuild solve [OPTIONS] [FILE|DIR|-]

Solve a build.ts, a Dockerfile, a directory holding one, or an LLB definition (a file, or - for
stdin, as written by \`tsbuild debug build-llb\`). The frontend is chosen by --frontend, else by a
\`# syntax=\` first line, else by the file. The context is the file's directory unless --context is given.

Options:
${sharedOptions}      --context DIR            The build context (default: the build file's directory)
${helpLine}`;

const parseArgsMessages: Record<string, (m: string) => string> = {
  ERR_PARSE_ARGS_UNKNOWN_OPTION: (m) => `unknown flag: ${/'([^']+)'/.exec(m)?.[1] ?? m}`,
  ERR_PARSE_ARGS_INVALID_OPTION_VALUE: (m) => {
    const flag = /--[a-z-]+/.exec(m)?.[0];
    return flag === undefined ? m : /argument missing/.test(m) ? `flag needs an argument: ${flag}` : `flag ${flag} takes no value`;
  },
};

/**
 * `build` takes a CONTEXT; `solve` takes an optional FILE|DIR|- (default `.`) and `--context`.
 * Both share every other flag.
 */
export function parseBuildArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
  command: 'build' | 'solve' = 'build',
): ParsedBuildArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    const code = (err as { code?: string }).code;
    const rewrite = code === undefined ? undefined : parseArgsMessages[code];
    const message = err instanceof Error ? err.message : String(err);
    throw new UsageError(`${rewrite ? rewrite(message) : message}\nSee 'tsbuild build --help'.`);
  }
  const v = parsed.values;
  if (v.help) return { help: true };
  const [first, ...extra] = parsed.positionals;
  const context = first ?? (command === 'solve' ? '.' : undefined);
  if (context === undefined) throw usage('"tsbuild build" requires exactly 1 argument: the build context (e.g. ".")');
  if (extra.length > 0)
    throw usage(
      `"tsbuild ${command}" requires ${command === 'solve' ? 'at most' : 'exactly'} 1 argument, got ${parsed.positionals.length}: ${parsed.positionals.join(' ')}`,
    );
  if (command === 'build' && v.context !== undefined) throw usage('--context is for "tsbuild solve"; "tsbuild build" takes the context as its argument');

  const progress = v.progress ?? (v.quiet ? 'quiet' : 'auto');
  if (!isProgressMode(progress)) throw usage(`invalid --progress "${progress}": use one of ${progressModes.join(', ')}`);
  const network = v.network ?? 'default';
  if (!(networkModes as readonly string[]).includes(network)) {
    throw usage(`invalid --network "${network}": use one of ${networkModes.join(', ')}`);
  }

  return {
    help: false,
    context,
    file: nonEmpty('--file', v.file),
    tags: (v.tag ?? []).map(checkTag),
    target: nonEmpty('--target', v.target),
    buildArgs: buildArgs(v['build-arg'] ?? [], env),
    outputs: (v.output ?? []).map(parseOutput),
    cacheFrom: (v['cache-from'] ?? []).map((c) => cacheSpec(c, 'from')),
    cacheTo: (v['cache-to'] ?? []).map((c) => cacheSpec(c, 'to')),
    progress,
    noCache: v['no-cache'] ?? false,
    pull: v.pull ?? false,
    secrets: (v.secret ?? []).map(parseSecret),
    ssh: (v.ssh ?? []).map(parseSsh),
    platforms: (v.platform ?? []).flatMap(parsePlatforms),
    network: network as NetworkMode,
    labels: keyValues('--label', v.label ?? [], false),
    iidfile: nonEmpty('--iidfile', v.iidfile),
    metadataFile: nonEmpty('--metadata-file', v['metadata-file']),
    maxParallelism: v['max-parallelism'] === undefined ? undefined : positiveInt('--max-parallelism', v['max-parallelism']),
    quiet: v.quiet ?? false,
    watch: v.watch ?? false,
    explain: v.explain ?? false,
    checkBase: v['check-base'] ?? false,
    failOnWaste: v['fail-on-waste'] === undefined ? undefined : wasteLimit(v['fail-on-waste']),
    locals: keyValues('--local', v.local ?? [], true),
    frontend: nonEmpty('--frontend', v.frontend),
    contextDir: nonEmpty('--context', v.context),
    noResolve: v['no-resolve'] ?? false,
    debug: v.debug ?? false,
    builder: builderFlags(v, env),
  };
}

function builderFlags(
  v: { builder?: string; tlscacert?: string; tlscert?: string; tlskey?: string; tlsservername?: string },
  env: Readonly<Record<string, string | undefined>>,
): BuilderFlags | undefined {
  const address = nonEmpty('--builder', v.builder) ?? (env['BUILDKIT_HOST'] || undefined);
  const tls = {
    ...(v.tlscacert !== undefined ? { tlsCa: v.tlscacert } : {}),
    ...(v.tlscert !== undefined ? { tlsCert: v.tlscert } : {}),
    ...(v.tlskey !== undefined ? { tlsKey: v.tlskey } : {}),
    ...(v.tlsservername !== undefined ? { tlsServerName: v.tlsservername } : {}),
  };
  if (address === undefined) {
    if (Object.keys(tls).length > 0) throw usage('--tlscacert, --tlscert, --tlskey and --tlsservername need --builder tcp://HOST:PORT');
    return undefined;
  }
  return { address, ...tls };
}

function wasteLimit(value: string): WasteThreshold {
  try {
    return parseWasteThreshold('--fail-on-waste', value);
  } catch (err) {
    throw usage((err as Error).message);
  }
}

function usage(message: string): UsageError {
  return new UsageError(`${message}\nSee 'tsbuild build --help'.`);
}

function nonEmpty(flag: string, value: string | undefined): string | undefined {
  if (value === '') throw usage(`${flag} needs a non-empty value`);
  return value;
}

function positiveInt(flag: string, value: string): number {
  if (!/^[0-9]+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw usage(`invalid ${flag} "${value}": expected a whole number of at least 1`);
  }
  return Number(value);
}

/**
 * Docker's reference grammar, loosely: an optional registry host (with a dot or a port, or
 * `localhost`), lowercase path components, an optional tag and an optional digest.
 */
const component = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const host = '(?:[a-zA-Z0-9-]+(?:\\.[a-zA-Z0-9-]+)*(?::[0-9]+)?)';
const referencePattern = new RegExp(`^(?:${host}/)?${component}(?:/${component})*(?::[\\w][\\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`);

function checkTag(tag: string): string {
  if (referencePattern.test(tag)) return tag;
  const hint = tag !== tag.toLowerCase() && referencePattern.test(tag.toLowerCase()) ? ': repository name must be lowercase' : '';
  throw usage(`invalid tag "${tag}": invalid reference format${hint}`);
}

/** `KEY=VALUE`, or `KEY` alone taking `$KEY` (skipped when unset), as docker does. */
function buildArgs(values: readonly string[], env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of values) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    if (key === '') throw usage(`invalid --build-arg "${item}": expected KEY=VALUE or KEY`);
    if (eq >= 0) out[key] = item.slice(eq + 1);
    else if (env[key] !== undefined) out[key] = env[key];
  }
  return out;
}

/** `KEY=VALUE` pairs; with `requireValue`, a bare `KEY` is refused rather than meaning "". */
function keyValues(flag: string, values: readonly string[], requireValue: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of values) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    if (key === '' || (requireValue && (eq < 0 || eq === item.length - 1))) {
      throw usage(`invalid ${flag} "${item}": expected ${requireValue ? 'NAME=PATH' : 'KEY=VALUE'}`);
    }
    out[key] = eq < 0 ? '' : item.slice(eq + 1);
  }
  return out;
}

/**
 * Splits `a=1,"b=x,y",c` the way docker's csv flags do: commas separate fields, double quotes
 * group (and are removed), `""` inside quotes is a literal quote.
 */
function csvPairs(flag: string, value: string): Record<string, string> {
  let fields: string[];
  try {
    fields = splitCsv(value);
  } catch (err) {
    throw usage(`invalid ${flag} "${value}": ${(err as Error).message}`);
  }
  const out: Record<string, string> = {};
  for (const f of fields) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw usage(`invalid ${flag} "${value}": field "${f}" is not KEY=VALUE`);
    out[f.slice(0, eq).trim().toLowerCase()] = f.slice(eq + 1);
  }
  return out;
}

function parseOutput(raw: string): OutputSpec {
  // docker's shorthands: `-o -` is a tar on stdout, `-o DIR` a local directory.
  if (raw === '-') return { raw, type: 'tar', attrs: { type: 'tar', dest: '-' } };
  if (raw !== '' && !raw.includes('=')) return { raw, type: 'local', attrs: { type: 'local', dest: raw } };
  const attrs = csvPairs('--output', raw);
  const type = attrs.type ?? (attrs.dest !== undefined ? 'local' : undefined);
  if (type === undefined) throw usage(`invalid --output "${raw}": missing type= (one of ${outputTypes.join(', ')})`);
  if (!(outputTypes as readonly string[]).includes(type)) {
    throw usage(`invalid --output "${raw}": unknown type "${type}" (use one of ${outputTypes.join(', ')})`);
  }
  // tar, oci and docker without dest mean stdout when it is not a terminal; the exporter decides.
  if (type === 'local' && !attrs.dest) throw usage(`invalid --output "${raw}": type=local needs dest=DIR`);
  if (type === 'registry' && attrs.name === undefined) throw usage(`invalid --output "${raw}": type=registry needs name=REFERENCE`);
  return { raw, type: type as OutputType, attrs: { ...attrs, type } };
}

function cacheSpec(value: string, direction: 'to' | 'from'): CacheSpec {
  try {
    return parseCacheSpec(value, direction);
  } catch (err) {
    if (err instanceof CacheSpecError) throw usage(err.message);
    throw err;
  }
}

function parseSecret(value: string): SecretSpec {
  const attrs = csvPairs('--secret', value);
  for (const key of Object.keys(attrs)) {
    if (!['id', 'src', 'source', 'env', 'type'].includes(key)) throw usage(`invalid --secret "${value}": unknown key "${key}"`);
  }
  const src = attrs.src ?? attrs.source;
  const type = attrs.type ?? (attrs.env !== undefined ? 'env' : src !== undefined ? 'file' : undefined);
  if (type !== undefined && type !== 'file' && type !== 'env') throw usage(`invalid --secret "${value}": type must be file or env`);
  if (type === 'file' || (type === undefined && src !== undefined)) {
    if (!src) throw usage(`invalid --secret "${value}": type=file needs src=PATH`);
    const id = attrs.id || basename(src);
    return { id, kind: 'file', src };
  }
  // `id=X` alone reads the environment variable X, as buildx does.
  const envName = attrs.env ?? attrs.id;
  if (!envName) throw usage(`invalid --secret "${value}": expected id=ID,src=PATH or id=ID,env=VAR`);
  return { id: attrs.id || envName, kind: 'env', env: envName };
}

function parseSsh(value: string): SshSpec {
  const eq = value.indexOf('=');
  const id = eq < 0 ? value : value.slice(0, eq);
  if (!/^[A-Za-z0-9_.-]+$/.test(id)) throw usage(`invalid --ssh "${value}": expected default or ID[=SOCKET|KEY[,KEY]]`);
  const paths = eq < 0 ? [] : value.slice(eq + 1).split(',');
  if (paths.some((p) => p === '')) throw usage(`invalid --ssh "${value}": empty path`);
  return { id, paths };
}

const platformPattern = /^[a-z0-9_]+\/[a-z0-9_]+(?:\/[a-z0-9_.]+)?$/;

function parsePlatforms(value: string): string[] {
  const list = value.split(',').map((p) => p.trim());
  for (const p of list) {
    if (p !== 'local' && !platformPattern.test(p)) throw usage(`invalid --platform "${p}": expected OS/ARCH[/VARIANT] (e.g. linux/amd64)`);
  }
  return list;
}
