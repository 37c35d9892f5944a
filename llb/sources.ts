// Source states: where filesystems come from. Each is a pb.SourceOp with an identifier
// (`docker-image://…`, `local://…`, `git://…`, `https://…`, `oci-layout://…`) and attributes,
// spelled as BuildKit spells them so a BuildKit daemon would read them the same way.
import { posix } from 'node:path';
import { StateError } from './errors.ts';
import { parseImageRef } from './image-ref.ts';
import { EMPTY_PROPS, opMetadata, pbPlatform, type MarshalContext, type MarshaledOp, type Node, type OpOptions } from './node.ts';
import { normalizePlatform, parsePlatform } from './platform.ts';
import type { Platform } from './pb/types.ts';
import { State } from './state.ts';

export class SourceNode implements Node {
  readonly identifier: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly inputs = [] as const;
  readonly #platform: Platform | undefined;
  readonly #platformSpecific: boolean;
  readonly #caps: readonly string[];
  readonly #options: OpOptions | undefined;

  constructor(identifier: string, attrs: Record<string, string>, caps: string[], options?: OpOptions, platform?: Platform) {
    this.identifier = identifier;
    this.attrs = Object.freeze({ ...attrs });
    this.#caps = caps;
    this.#options = options;
    this.#platform = platform;
    // Only images are platform-specific; BuildKit leaves the platform off other sources.
    this.#platformSpecific = identifier.startsWith('docker-image://') || identifier.startsWith('oci-layout://');
  }

  marshal(ctx: MarshalContext): MarshaledOp {
    const source = Object.keys(this.attrs).length ? { identifier: this.identifier, attrs: { ...this.attrs } } : { identifier: this.identifier };
    const op = this.#platformSpecific ? { source, platform: pbPlatform(this.#platform ?? ctx.platform), constraints: {} } : { source, constraints: {} };
    return { op, metadata: opMetadata(this.#options, this.#caps) };
  }
}

function sourceState(node: SourceNode, platform?: Platform): State {
  return new State({ ...EMPTY_PROPS, output: { node, index: 0 }, platform });
}

/** The empty filesystem. */
export function scratch(): State {
  return new State(EMPTY_PROPS);
}

export interface ImageOptions extends OpOptions {
  /** Platform to pull (default: the build's). Later ops on this state use it too. */
  readonly platform?: string | Platform;
  /** `default`, `pull` (always check the registry) or `local` (prefer the local store). */
  readonly resolveMode?: 'default' | 'pull' | 'local';
  /** Only use the first N layers. */
  readonly layerLimit?: number;
  /** Expected manifest digest. */
  readonly checksum?: string;
}

const resolveModes = new Set(['default', 'pull', 'local']);

/** A registry image: `image('busybox')` is `docker-image://docker.io/library/busybox:latest`. */
export function image(ref: string, opts: ImageOptions = {}): State {
  const normalized = parseImageRef(ref).string;
  const attrs: Record<string, string> = {};
  const caps = ['source.image'];
  if (opts.resolveMode !== undefined) {
    if (!resolveModes.has(opts.resolveMode)) throw new StateError('invalid-option', `image("${ref}"): resolveMode must be default, pull or local`);
    attrs['image.resolvemode'] = opts.resolveMode;
    if (opts.resolveMode === 'pull') caps.push('source.image.resolvemode');
  }
  if (opts.layerLimit !== undefined) {
    attrs['image.layerlimit'] = String(opts.layerLimit);
    caps.push('source.image.layerlimit');
  }
  if (opts.checksum !== undefined) {
    attrs['image.checksum'] = opts.checksum;
    caps.push('source.image.checksum');
  }
  const platform =
    opts.platform === undefined ? undefined : typeof opts.platform === 'string' ? parsePlatform(opts.platform) : normalizePlatform(opts.platform);
  return sourceState(new SourceNode(`docker-image://${normalized}`, attrs, caps, opts, platform), platform);
}

export interface LocalOptions extends OpOptions {
  /** Patterns (dockerignore syntax) of files to include. */
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
  readonly followPaths?: readonly string[];
  readonly sharedKeyHint?: string;
  readonly sessionId?: string;
}

/** A directory of the client, by name (`context` is the build context). */
export function local(name: string, opts: LocalOptions = {}): State {
  if (!name) throw new StateError('invalid-option', 'local: a name is required, e.g. local("context")');
  const attrs: Record<string, string> = {};
  const caps = ['source.local'];
  if (opts.sessionId) {
    attrs['local.session'] = opts.sessionId;
    caps.push('source.local.sessionid');
  }
  if (opts.include?.length) {
    attrs['local.includepattern'] = JSON.stringify(opts.include);
    caps.push('source.local.includepatterns');
  }
  if (opts.followPaths?.length) {
    attrs['local.followpaths'] = JSON.stringify(opts.followPaths);
    caps.push('source.local.followpaths');
  }
  if (opts.exclude?.length) {
    attrs['local.excludepatterns'] = JSON.stringify(opts.exclude);
    caps.push('source.local.excludepatterns');
  }
  if (opts.sharedKeyHint) {
    attrs['local.sharedkeyhint'] = opts.sharedKeyHint;
    caps.push('source.local.sharedkeyhint');
  }
  return sourceState(new SourceNode(`local://${name}`, attrs, caps, opts));
}

export interface GitOptions extends OpOptions {
  readonly keepGitDir?: boolean;
  /** Subdirectory of the repository to use. */
  readonly subdir?: string;
  /** Expected commit. */
  readonly checksum?: string;
  readonly skipSubmodules?: boolean;
  readonly authTokenSecret?: string;
  readonly authHeaderSecret?: string;
  readonly knownSSHHosts?: string;
  readonly mountSSHSock?: string;
}

interface GitRemote {
  readonly scheme: 'https' | 'http' | 'git' | 'ssh' | 'file';
  readonly host: string;
  readonly path: string;
  readonly remote: string;
}

function parseGitURL(url: string): GitRemote | undefined {
  const scp = /^(?:([\w.-]+)@)?([\w.-]+):(?!\/\/)(.*)$/.exec(url);
  const m = /^(https?|git|ssh|file):\/\/(?:[^@/]*@)?([^/]*)(\/.*)?$/.exec(url);
  if (m) return { scheme: m[1] as GitRemote['scheme'], host: m[2]!, path: m[3] ?? '/', remote: url };
  if (scp && scp[1]) return { scheme: 'ssh', host: scp[2]!, path: scp[3]!, remote: url };
  return undefined;
}

/** A git repository at `ref` (branch, tag or commit; default: the default branch). */
export function git(url: string, ref = '', opts: GitOptions = {}): State {
  if (!url) throw new StateError('invalid-option', 'git: a repository URL is required');
  let remote = parseGitURL(url);
  if (!remote) {
    url = `https://${url}`;
    remote = parseGitURL(url);
  }
  if (!remote) throw new StateError('invalid-option', `git("${url}"): not a git URL`);
  const [refPart, subdirPart] = ref.includes(':') ? [ref.slice(0, ref.indexOf(':')), ref.slice(ref.indexOf(':') + 1)] : [ref, undefined];
  const subdir = posix.join('/', opts.subdir ?? subdirPart ?? '').replace(/^\//, '');
  let id = remote.host + posix.join('/', remote.path);
  if (refPart || subdir) id += `#${refPart}${subdir ? `:${subdir}` : ''}`;
  const attrs: Record<string, string> = {};
  const caps = ['source.git'];
  if (opts.keepGitDir) {
    attrs['git.keepgitdir'] = 'true';
    caps.push('source.git.keepgitdir');
  }
  attrs['git.fullurl'] = remote.remote;
  caps.push('source.git.fullurl');
  attrs['git.authtokensecret'] = opts.authTokenSecret ?? 'GIT_AUTH_TOKEN';
  attrs['git.authheadersecret'] = opts.authHeaderSecret ?? 'GIT_AUTH_HEADER';
  if (opts.authTokenSecret || opts.authHeaderSecret) caps.push('source.git.httpauth');
  if (remote.scheme === 'ssh') {
    if (opts.knownSSHHosts) attrs['git.knownsshhosts'] = opts.knownSSHHosts;
    attrs['git.mountsshsock'] = opts.mountSSHSock ?? 'default';
    caps.push('source.git.knownsshhosts', 'source.git.mountsshsock');
  }
  if (opts.checksum) {
    attrs['git.checksum'] = opts.checksum;
    caps.push('source.git.checksum');
  }
  if (opts.skipSubmodules) {
    attrs['git.skipsubmodules'] = 'true';
    caps.push('source.git.skipsubmodules');
  }
  return sourceState(new SourceNode(`git://${id}`, attrs, caps, opts));
}

export interface HttpOptions extends OpOptions {
  /** Expected sha256 of the content (`sha256:…`). */
  readonly checksum?: string;
  /** Name of the downloaded file (default: from the URL or Content-Disposition). */
  readonly filename?: string;
  /** File mode, e.g. 0o755. */
  readonly chmod?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly authHeaderSecret?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A file downloaded over HTTP(S). */
export function http(url: string, opts: HttpOptions = {}): State {
  if (!/^https?:\/\//.test(url)) throw new StateError('invalid-option', `http("${url}"): expected an http:// or https:// URL`);
  const attrs: Record<string, string> = {};
  const caps = ['source.http'];
  if (opts.checksum) {
    attrs['http.checksum'] = opts.checksum;
    caps.push('source.http.checksum');
  }
  if (opts.filename) attrs['http.filename'] = opts.filename;
  if (opts.chmod) {
    attrs['http.perm'] = `0${opts.chmod.toString(8)}`;
    caps.push('source.http.perm');
  }
  if (opts.uid) {
    attrs['http.uid'] = String(opts.uid);
    caps.push('soruce.http.uidgid'); // sic: BuildKit's capability name
  }
  if (opts.gid) {
    attrs['http.gid'] = String(opts.gid);
    if (!caps.includes('soruce.http.uidgid')) caps.push('soruce.http.uidgid');
  }
  if (opts.authHeaderSecret) {
    attrs['http.authheadersecret'] = opts.authHeaderSecret;
    caps.push('source.http.auth');
  }
  if (opts.headers && Object.keys(opts.headers).length) {
    for (const [k, v] of Object.entries(opts.headers)) attrs[`http.header.${k}`] = v;
    caps.push('source.http.header');
  }
  return sourceState(new SourceNode(url, attrs, caps, opts));
}

export interface OCILayoutOptions extends OpOptions {
  readonly platform?: string | Platform;
  readonly layerLimit?: number;
  readonly sessionId?: string;
  readonly storeId?: string;
}

/** An image from an OCI layout store: `ociLayout('store@sha256:…')` or a path the builder knows. */
export function ociLayout(ref: string, opts: OCILayoutOptions = {}): State {
  if (!ref) throw new StateError('invalid-option', 'ociLayout: a reference is required');
  const attrs: Record<string, string> = {};
  if (opts.sessionId) attrs['oci.session'] = opts.sessionId;
  if (opts.storeId) attrs['oci.store'] = opts.storeId;
  if (opts.layerLimit !== undefined) attrs['oci.layerlimit'] = String(opts.layerLimit);
  const platform =
    opts.platform === undefined ? undefined : typeof opts.platform === 'string' ? parsePlatform(opts.platform) : normalizePlatform(opts.platform);
  return sourceState(new SourceNode(`oci-layout://${ref}`, attrs, ['source.ocilayout'], opts, platform), platform);
}
