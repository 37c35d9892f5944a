// Image references, read the way Docker reads them:
//   alpine                         → docker.io/library/alpine:latest
//   user/app:1.2                   → docker.io/user/app:1.2
//   localhost:5000/app@sha256:…    → localhost:5000/app@sha256:…
// The first path component is a registry host when it contains "." or ":" or is "localhost";
// otherwise the image lives on Docker Hub, and one-component names are under "library/".
import type { Digest } from '../llb/index.ts';
import { isDigest } from './digest.ts';
import { InvalidReferenceError } from './errors.ts';

export const DEFAULT_DOMAIN = 'docker.io';
export const DEFAULT_TAG = 'latest';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const NAME_TOTAL_LENGTH_MAX = 255;

const pathComponentRe = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const tagRe = /^[\w][\w.-]{0,127}$/;
const domainRe = /^(?:\[[a-fA-F0-9:]+(?:%[\w.-]+)?\]|(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*)(?::[0-9]+)?$/;

export interface ImageReference {
  /** Registry host, with port when given: `docker.io`, `127.0.0.1:5000`. */
  readonly domain: string;
  /** Repository path inside the registry: `library/alpine`. */
  readonly path: string;
  readonly tag: string | undefined;
  readonly digest: Digest | undefined;
  /** `domain/path` */
  readonly name: string;
  /** Full normalised string: `docker.io/library/alpine:latest`, `host/repo@sha256:…`. */
  readonly string: string;
  /** What Docker shows users: `alpine:latest`, `user/app:1.2`, `host:5000/app:1`. */
  readonly familiar: string;
}

/**
 * Parses and normalises a reference. A reference with neither tag nor digest gets the tag
 * `latest`; one with a digest keeps whatever tag it had (the digest decides what is fetched).
 */
export function parseReference(input: string): ImageReference {
  if (input.length === 0) throw new InvalidReferenceError(input, 'empty reference');
  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!d.startsWith('sha256:')) throw new InvalidReferenceError(input, `unsupported digest algorithm in "${d}" (only sha256)`);
    if (!isDigest(d)) throw new InvalidReferenceError(input, `invalid digest "${d}" (expected sha256: and 64 lowercase hex characters)`);
    digest = d;
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!tagRe.test(tag)) throw new InvalidReferenceError(input, `invalid tag "${tag}" (letters, digits, "_", "." and "-", at most 128, not starting with "." or "-")`);
  }
  if (rest.length === 0) throw new InvalidReferenceError(input, 'missing repository name');

  let domain: string;
  let path: string;
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())) {
    domain = first;
    path = rest.slice(slash + 1);
  } else {
    domain = DEFAULT_DOMAIN;
    path = rest;
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_REPO_PREFIX + path;

  if (!domainRe.test(domain)) throw new InvalidReferenceError(input, `invalid registry host "${domain}"`);
  if (path !== path.toLowerCase()) throw new InvalidReferenceError(input, 'repository name must be lowercase');
  for (const component of path.split('/')) {
    if (!pathComponentRe.test(component)) {
      throw new InvalidReferenceError(input, `invalid repository path component "${component}" (lowercase letters, digits and single separators "." "_" "__" "-")`);
    }
  }
  const name = `${domain}/${path}`;
  if (name.length > NAME_TOTAL_LENGTH_MAX) throw new InvalidReferenceError(input, `repository name longer than ${NAME_TOTAL_LENGTH_MAX} characters`);
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  return makeReference(domain, path, tag, digest);
}

export function makeReference(domain: string, path: string, tag: string | undefined, digest: Digest | undefined): ImageReference {
  const name = `${domain}/${path}`;
  const suffix = `${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest}` : ''}`;
  let familiarName = name;
  if (domain === DEFAULT_DOMAIN) familiarName = path.startsWith(OFFICIAL_REPO_PREFIX) && path.split('/').length === 2 ? path.slice(OFFICIAL_REPO_PREFIX.length) : path;
  return Object.freeze({ domain, path, tag, digest, name, string: name + suffix, familiar: familiarName + suffix });
}

/** The same repository with another tag or digest (e.g. a manifest's digest after resolving a tag). */
export function withDigest(ref: ImageReference, digest: Digest): ImageReference {
  return makeReference(ref.domain, ref.path, ref.tag, digest);
}

export function withTag(ref: ImageReference, tag: string): ImageReference {
  if (!tagRe.test(tag)) throw new InvalidReferenceError(`${ref.name}:${tag}`, `invalid tag "${tag}"`);
  return makeReference(ref.domain, ref.path, tag, undefined);
}

/** `true` for references that may be parsed; never throws. */
export function isValidReference(input: string): boolean {
  try {
    parseReference(input);
    return true;
  } catch {
    return false;
  }
}
