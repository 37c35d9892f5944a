// State → Definition. Walks the graph depth-first from the state's output, marshals each node
// once (inputs first), names it by the sha256 of its bytes, drops ops that marshal to the same
// bytes, and ends with BuildKit's terminal op: no kind, one input pointing at the result.
// Per-op metadata (names, ignoreCache, caps) goes into Definition.metadata, outside the digests.
import { encodeOp } from './pb/messages.ts';
import { digestOf } from './digest.ts';
import { propsOf, type MarshalContext, type Node, type Output } from './node.ts';
import { hostPlatform, normalizePlatform, parsePlatform } from './platform.ts';
import type { Definition, Digest, Input, OpMetadata, Platform } from './pb/types.ts';
import type { State } from './state.ts';

export interface MarshalOptions {
  /** Platform of ops whose state sets none (default: this machine's). */
  readonly platform?: string | Platform;
}

function mergeMetadata(a: OpMetadata | undefined, b: OpMetadata): OpMetadata {
  if (!a) return b;
  const out: { -readonly [K in keyof OpMetadata]: OpMetadata[K] } = { ...a };
  if (b.ignoreCache) out.ignoreCache = true;
  if (b.description) out.description = { ...a.description, ...b.description };
  if (b.caps) out.caps = { ...a.caps, ...b.caps };
  if (b.exportCache) out.exportCache = b.exportCache;
  if (b.progressGroup) out.progressGroup = b.progressGroup;
  if (b.linuxResources) out.linuxResources = b.linuxResources;
  return out;
}

export function marshal(state: State, opts: MarshalOptions = {}): Definition {
  const props = propsOf(state, 'marshal');
  const platform =
    opts.platform === undefined ? hostPlatform() : typeof opts.platform === 'string' ? parsePlatform(opts.platform) : normalizePlatform(opts.platform);
  if (!props.output) return { def: [] };

  const digests = new Map<Node, Digest>();
  const def: Uint8Array[] = [];
  const seen = new Set<Digest>();
  const metadata: Record<string, OpMetadata> = {};
  const ctx: MarshalContext = {
    platform,
    input(o: Output): Input {
      const digest = digests.get(o.node);
      if (!digest) throw new Error('llb marshal: input used before it was marshaled');
      return o.index ? { digest, index: o.index } : { digest };
    },
  };

  // Iterative post-order DFS: long chains of runs must not exhaust the stack.
  const stack: { node: Node; next: number }[] = [{ node: props.output.node, next: 0 }];
  const onStack = new Set<Node>([props.output.node]);
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    if (top.next < top.node.inputs.length) {
      const dep = top.node.inputs[top.next++]!.node;
      if (!digests.has(dep) && !onStack.has(dep)) {
        onStack.add(dep);
        stack.push({ node: dep, next: 0 });
      }
      continue;
    }
    stack.pop();
    onStack.delete(top.node);
    const { op, metadata: md } = top.node.marshal(ctx);
    const bytes = encodeOp(op);
    const digest = digestOf(bytes);
    digests.set(top.node, digest);
    if (md) metadata[digest] = mergeMetadata(metadata[digest], md);
    if (!seen.has(digest)) {
      seen.add(digest);
      def.push(bytes);
    }
  }

  const terminal = encodeOp({ inputs: [ctx.input(props.output)] });
  const terminalDigest = digestOf(terminal);
  def.push(terminal);
  const caps: Record<string, boolean> = { constraints: true, platform: true };
  for (const md of Object.values(metadata)) {
    if (md.ignoreCache) caps['meta.ignorecache'] = true;
    if (md.description) caps['meta.description'] = true;
    if (md.exportCache) caps['meta.exportcache'] = true;
  }
  metadata[terminalDigest] = mergeMetadata(metadata[terminalDigest], { caps });
  return { def, metadata };
}
