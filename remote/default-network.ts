// `--network none|host` for a build on a daemon. Locally the executor applies the build's network
// to every RUN whose op leaves it unset; a daemon would use its own default instead (docker's is
// its bridge network), so the definition is rewritten with the network written into those ops.
// Each changed op has a new digest, so its users' inputs, the metadata and the source map are
// re-keyed in the same pass (ops come inputs first).
import { decodeOp, digestOf, encodeOp, NetMode, type Definition, type Digest } from '../llb/index.ts';

export function withDefaultNetwork(def: Definition, network: 'none' | 'host'): Definition {
  const mode = network === 'none' ? NetMode.NONE : NetMode.HOST;
  const renamed = new Map<Digest, Digest>();
  const ops: Uint8Array[] = [];
  for (const bytes of def.def) {
    const old = digestOf(bytes);
    const op = decodeOp(bytes);
    let changed = false;
    for (const input of op.inputs ?? []) {
      const to = renamed.get(input.digest);
      if (to) {
        input.digest = to;
        changed = true;
      }
    }
    if (op.exec && (op.exec.network ?? NetMode.UNSET) === NetMode.UNSET) {
      op.exec.network = mode;
      changed = true;
    }
    const out = changed ? encodeOp(op) : bytes;
    if (changed) renamed.set(old, digestOf(out));
    ops.push(out);
  }
  if (renamed.size === 0) return def;
  const rekey = <T>(record: Record<string, T> | undefined): Record<string, T> | undefined =>
    record && Object.fromEntries(Object.entries(record).map(([k, v]) => [renamed.get(k as Digest) ?? k, v]));
  const metadata = rekey(def.metadata);
  const locations = rekey(def.source?.locations);
  return {
    def: ops,
    ...(metadata ? { metadata } : {}),
    ...(def.source ? { source: { ...def.source, ...(locations ? { locations } : {}) } } : {}),
  };
}
