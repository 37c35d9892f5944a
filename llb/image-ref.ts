// Image references, normalized the way Docker and BuildKit do it (distribution/reference's
// ParseNormalizedNamed + TagNameOnly): `busybox` → `docker.io/library/busybox:latest`.
// Pure string work so that oci/ (registry client, image store) and frontends can share it.

export interface ImageRef {
  /** Registry host, with port when given (`docker.io`, `localhost:5000`). */
  readonly domain: string;
  /** Repository path inside the registry (`library/busybox`). */
  readonly path: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
  /** `domain/path`. */
  readonly name: string;
  /** The canonical string: `domain/path[:tag][@digest]`. */
  readonly string: string;
}

export class ImageRefError extends Error {
  override name = 'ImageRefError';
}

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';

const pathComponent = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const domainRe =
  /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;
const tagRe = /^[\w][\w.-]{0,127}$/;
const digestRe = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const hex64 = /^[a-f0-9]{64}$/;

/**
 * Parses and normalizes a reference. With `defaultTag` (the default) a reference with neither tag
 * nor digest gets `:latest`, as BuildKit's `llb.Image` does.
 */
export function parseImageRef(ref: string, opts: { defaultTag?: boolean } = {}): ImageRef {
  const fail = (why: string): never => {
    throw new ImageRefError(`invalid image reference "${ref}": ${why}`);
  };
  if (ref === '') fail('empty reference');
  if (ref.length > 255 + 200) fail('it is too long');

  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestRe.test(digest)) {
      const algorithm = /^([^:]*):/.exec(digest)?.[1];
      fail(
        algorithm && !/^sha(256|384|512)$/.test(algorithm)
          ? `unsupported digest algorithm in "${digest}" (use sha256)`
          : `invalid digest "${digest}" (expected sha256: and 64 lowercase hex characters)`,
      );
    }
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.indexOf(':', lastSlash + 1);
  if (colon !== -1) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagRe.test(tag)) fail(`invalid tag "${tag}" (letters, digits, "_", "." and "-", at most 128, not starting with "." or "-")`);
  }

  let domain: string;
  let path: string;
  const slash = rest.indexOf('/');
  const first = slash === -1 ? '' : rest.slice(0, slash);
  if (slash === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    path = rest;
  } else {
    domain = first;
    path = rest.slice(slash + 1);
    if (!domainRe.test(domain)) fail(`invalid registry host "${domain}"`);
  }
  if (domain === LEGACY_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_PREFIX + path;

  if (path !== path.toLowerCase()) fail(`repository name "${path}" must be lowercase`);
  if (rest === '') fail('missing repository name');
  for (const c of path.split('/')) {
    if (!pathComponent.test(c)) fail(`invalid repository path component "${c}" (lowercase letters, digits and single separators "." "_" "__" "-")`);
  }
  if (domain === DEFAULT_DOMAIN && hex64.test(path.slice(OFFICIAL_PREFIX.length)) && path.startsWith(OFFICIAL_PREFIX) && !rest.includes('/')) {
    fail('a 64-character hexadecimal string is an image ID, not a repository name');
  }
  const name = `${domain}/${path}`;
  if (name.length > 255) fail('repository name longer than 255 characters');

  if (tag === undefined && digest === undefined && opts.defaultTag !== false) tag = 'latest';
  const string = name + (tag !== undefined ? `:${tag}` : '') + (digest !== undefined ? `@${digest}` : '');
  return { domain, path, tag, digest, name, string };
}

/** `busybox` → `docker.io/library/busybox:latest`. Throws ImageRefError. */
export function normalizeImageRef(ref: string): string {
  return parseImageRef(ref).string;
}

/** The short form Docker shows (`busybox:latest`, `localhost:5000/app:1`). */
export function familiarImageRef(ref: ImageRef): string {
  let path = ref.name;
  if (ref.domain === DEFAULT_DOMAIN) {
    path = ref.path.startsWith(OFFICIAL_PREFIX) ? ref.path.slice(OFFICIAL_PREFIX.length) : ref.path;
  }
  return path + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}
