// The cache-key format. Every key the solver stores or looks up is computed here, from one of the
// two payloads below, as sha256 over their canonical JSON (keys sorted at every depth, undefined
// members left out). Changing what goes into a payload or how a field is spelled changes every
// key: bump CACHE_KEY_VERSION when you do, so old records simply stop matching instead of
// matching the wrong thing.
import { createHash } from 'node:crypto';
import { canonicalJSON, type Digest } from '../llb/index.ts';

/**
 * Bumped whenever a payload below changes shape or meaning (2: canonical JSON, and the ops' v1
 * selectors; 3: an input without content function is named by its own cache key, not its result id).
 */
export const CACHE_KEY_VERSION = 3;

declare const cacheKeyBrand: unique symbol;
/** A key of the cache store. Only this file makes them, so a vertex digest can never pass as one. */
export type CacheKey = Digest & { readonly [cacheKeyBrand]: true };

/**
 * Definition key: what an output is, described by how it is made. Computable from the op's
 * CacheMap and its inputs' definition keys alone, so the solver can look it up without building
 * (or pulling) anything.
 */
export interface DefinitionKeyPayload {
  /** The format version: a new format must never match records written under an old one. */
  readonly v: typeof CACHE_KEY_VERSION;
  /** Keeps the two key spaces apart, so a definition key can never equal a content key. */
  readonly kind: 'definition';
  /**
   * The op's CacheMap digest, not the vertex digest: the op decides which of its fields are
   * semantic (names, progress groups and other metadata never reach it).
   */
  readonly op: Digest;
  /** Ops with several outputs store each one under its own key. */
  readonly output: number;
  /** One entry per input, in input order: which output of which op this one consumes. */
  readonly inputs: readonly {
    /** The input's definition key: changes whenever anything upstream of it changes. */
    readonly key: CacheKey;
    /** The part of the input the op reads ('' for all of it): a different part, a different result. */
    readonly selector: string;
  }[];
}

/**
 * Content key: what an output is, described by what its op actually read. Computed only after a
 * definition key missed and the inputs are built, so an input rebuilt to identical content (or
 * one whose unread parts changed) still hits.
 */
export interface ContentKeyPayload {
  /** As in the definition key. */
  readonly v: typeof CACHE_KEY_VERSION;
  /** As in the definition key. */
  readonly kind: 'content';
  /** As in the definition key: the same op over the same data gives the same result. */
  readonly op: Digest;
  /** As in the definition key. */
  readonly output: number;
  /** One entry per input, in input order. */
  readonly inputs: readonly ContentKeyInput[];
}

export type ContentKeyInput =
  | {
      /**
       * The digest the op's CacheMap computed over the input (e.g. the files a COPY reads): the
       * strongest evidence that the op sees the same data.
       */
      readonly content: Digest;
      /** Kept next to the digest so two different selections that hash alike stay apart. */
      readonly selector: string;
    }
  | {
      /**
       * For an input the op gives no content function: the input's own cache key (its content
       * key when it depends on data read this build, else its definition key), or its result id
       * when it has no key (--no-cache). Equal keys stand for interchangeable results on any
       * machine sharing the cache, so a step over an input that came from an imported cache
       * still hits there.
       */
      readonly result: string;
      /** As above. */
      readonly selector: string;
    };

function hashPayload(payload: DefinitionKeyPayload | ContentKeyPayload): CacheKey {
  return `sha256:${createHash('sha256').update(canonicalJSON(payload)).digest('hex')}` as CacheKey;
}

export function definitionKey(op: Digest, output: number, inputs: readonly { key: CacheKey; selector?: string | undefined }[]): CacheKey {
  return hashPayload({
    v: CACHE_KEY_VERSION,
    kind: 'definition',
    op,
    output,
    inputs: inputs.map((i) => ({ key: i.key, selector: i.selector ?? '' })),
  });
}

export function contentKey(
  op: Digest,
  output: number,
  inputs: readonly ({ content: Digest; selector?: string | undefined } | { result: string; selector?: string | undefined })[],
): CacheKey {
  return hashPayload({
    v: CACHE_KEY_VERSION,
    kind: 'content',
    op,
    output,
    inputs: inputs.map((i) => ('content' in i ? { content: i.content, selector: i.selector ?? '' } : { result: i.result, selector: i.selector ?? '' })),
  });
}

/** Accepts a key read back from a store; refuses anything that is not a sha256 digest. */
export function parseCacheKey(text: string): CacheKey | undefined {
  return /^sha256:[0-9a-f]{64}$/.test(text) ? (text as CacheKey) : undefined;
}
