// `--no-cache` for a build on a daemon: BuildKit reads it per op from the definition's metadata
// (OpMetadata.ignore_cache), as buildctl's `--no-cache` sets it, so every op is marked.
import { digestOf, type Definition, type OpMetadata } from '../llb/index.ts';

export function withIgnoreCache(def: Definition): Definition {
  const metadata: Record<string, OpMetadata> = { ...def.metadata };
  for (const bytes of def.def) {
    const digest = digestOf(bytes);
    metadata[digest] = { ...metadata[digest], ignoreCache: true };
  }
  return { ...def, metadata };
}
