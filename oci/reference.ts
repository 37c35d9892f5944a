// Image references, read the way Docker reads them:
//   alpine                         → docker.io/library/alpine:latest
//   user/app:1.2                   → docker.io/user/app:1.2
//   localhost:5000/app@sha256:…    → localhost:5000/app@sha256:…
// The grammar is llb's (parseImageRef, shared with frontends); here references gain what the
// registry side needs: sha256-only digests, the familiar form, tag/digest swaps.
import { DEFAULT_DOMAIN, ImageRefError, parseImageRef, type Digest, type ImageRef } from '../llb/index.ts';
import { isDigest } from './digest.ts';
import { InvalidReferenceError } from './errors.ts';

export { DEFAULT_DOMAIN };
const OFFICIAL_REPO_PREFIX = 'library/';

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
  let ref: ImageRef;
  try {
    ref = parseImageRef(input);
  } catch (err) {
    if (!(err instanceof ImageRefError)) throw err;
    throw new InvalidReferenceError(input, err.message.replace(/^invalid image reference "[^"]*": /, ''));
  }
  // Registries and the content store speak sha256 only.
  if (ref.digest !== undefined && !ref.digest.startsWith('sha256:'))
    throw new InvalidReferenceError(input, `unsupported digest algorithm in "${ref.digest}" (only sha256)`);
  if (ref.digest !== undefined && !isDigest(ref.digest))
    throw new InvalidReferenceError(input, `invalid digest "${ref.digest}" (expected sha256: and 64 lowercase hex characters)`);
  return makeReference(ref.domain, ref.path, ref.tag, ref.digest);
}

export function makeReference(domain: string, path: string, tag: string | undefined, digest: Digest | undefined): ImageReference {
  const name = `${domain}/${path}`;
  const suffix = `${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest}` : ''}`;
  let familiarName = name;
  if (domain === DEFAULT_DOMAIN)
    familiarName = path.startsWith(OFFICIAL_REPO_PREFIX) && path.split('/').length === 2 ? path.slice(OFFICIAL_REPO_PREFIX.length) : path;
  return Object.freeze({ domain, path, tag, digest, name, string: name + suffix, familiar: familiarName + suffix });
}

/** The same repository with another tag or digest (e.g. a manifest's digest after resolving a tag). */
export function withDigest(ref: ImageReference, digest: Digest): ImageReference {
  return makeReference(ref.domain, ref.path, ref.tag, digest);
}
