// Failures users can act on. Each message says what failed, on which reference or blob, and what
// the other side answered; none of them needs a stack trace to be understood.
import type { Digest } from '../llb/index.ts';

export class InvalidReferenceError extends Error {
  override name = 'InvalidReferenceError';
  readonly reference: string;
  constructor(reference: string, reason: string) {
    super(`invalid image reference ${JSON.stringify(reference)}: ${reason}`);
    this.reference = reference;
  }
}

export class DigestMismatchError extends Error {
  override name = 'DigestMismatchError';
  readonly expected: { digest?: Digest; size?: number };
  readonly actual: { digest: Digest; size: number };
  constructor(what: string, expected: { digest?: Digest; size?: number }, actual: { digest: Digest; size: number }) {
    const parts: string[] = [];
    if (expected.digest !== undefined && expected.digest !== actual.digest) parts.push(`expected digest ${expected.digest}, got ${actual.digest}`);
    if (expected.size !== undefined && expected.size !== actual.size) parts.push(`expected ${expected.size} bytes, got ${actual.size}`);
    super(`${what} failed verification: ${parts.join('; ')}`);
    this.expected = expected;
    this.actual = actual;
  }
}

export class BlobNotFoundError extends Error {
  override name = 'BlobNotFoundError';
  readonly digest: Digest;
  constructor(digest: Digest) {
    super(`blob ${digest} is not in the content store`);
    this.digest = digest;
  }
}

export class InvalidImageError extends Error {
  override name = 'InvalidImageError';
  constructor(what: string, reason: string) {
    super(`invalid ${what}: ${reason}`);
  }
}

export class NoMatchingPlatformError extends Error {
  override name = 'NoMatchingPlatformError';
  constructor(reference: string, wanted: string, available: string[]) {
    super(
      `${reference} has no image for platform ${wanted} (available: ${available.length > 0 ? available.join(', ') : 'none'}); pass --platform with one of those`,
    );
  }
}

/** Anything the registry refused or failed to serve, with the registry's own words. */
export class RegistryError extends Error {
  override name = 'RegistryError';
  readonly reference: string;
  readonly status: number | undefined;
  readonly blob: Digest | undefined;
  readonly registryMessage: string | undefined;
  constructor(opts: { reference: string; action: string; status?: number; blob?: Digest; registryMessage?: string; cause?: unknown }) {
    const where = opts.blob ? `${opts.reference} (blob ${opts.blob})` : opts.reference;
    const answer =
      opts.status !== undefined
        ? `registry answered ${opts.status}${opts.registryMessage ? `: ${opts.registryMessage}` : ''}`
        : (opts.registryMessage ?? 'no answer');
    super(`${opts.action} ${where}: ${answer}`, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.reference = opts.reference;
    this.status = opts.status;
    this.blob = opts.blob;
    this.registryMessage = opts.registryMessage;
  }
}

export class ImageNotFoundError extends Error {
  override name = 'ImageNotFoundError';
  readonly reference: string;
  constructor(reference: string, where: string) {
    super(`image ${reference} not found in ${where}`);
    this.reference = reference;
  }
}

export class OutputSpecError extends Error {
  override name = 'OutputSpecError';
  constructor(spec: string, reason: string) {
    super(`invalid --output ${JSON.stringify(spec)}: ${reason}`);
  }
}
