// Everything a build writes besides the image store: never read as context (the executor leaves
// these out of a context they lie in) and never watched (watch mode ignores changes under them).
import { resolve } from 'node:path';
import type { BuildRequest } from './request.ts';

/** Absolute paths: the state root, file and directory outputs, `--iidfile`, `--metadata-file`. */
export function ownPaths(req: BuildRequest): string[] {
  const out = [resolve(req.root)];
  for (const o of req.outputs) if (o.type !== 'image' && o.dest !== '-') out.push(resolve(o.dest));
  if (req.iidfile) out.push(req.iidfile);
  if (req.metadataFile) out.push(req.metadataFile);
  return out;
}
