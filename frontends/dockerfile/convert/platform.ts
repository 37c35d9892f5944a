import { normalizeImageRef, parsePlatform, type Platform } from '../../../llb/index.ts';
import { InstructionError } from '../errors.ts';

export function parsePlatformArg(spec: string): Platform {
  try {
    return parsePlatform(spec);
  } catch (err) {
    throw new InstructionError(`failed to parse platform ${spec}: ${(err as Error).message}`);
  }
}

/** `alpine` → `docker.io/library/alpine:latest`; bad references become located errors. */
export function normalizeRef(ref: string): string {
  try {
    return normalizeImageRef(ref);
  } catch (err) {
    throw new InstructionError(`invalid image reference ${JSON.stringify(ref)}: ${(err as Error).message}`);
  }
}
