// Typed entry points of the codec for the messages other layers exchange.
import { decodeMessage, encodeMessage, DecodeError, type DecodeHooks } from './codec.ts';
import type { Definition, Op, OpMetadata } from './types.ts';

export function encodeOp(op: Op): Uint8Array {
  return encodeMessage('Op', op);
}

export function decodeOp(bytes: Uint8Array, hooks?: DecodeHooks): Op {
  return decodeMessage<Op>('Op', bytes, hooks);
}

export function encodeOpMetadata(md: OpMetadata): Uint8Array {
  return encodeMessage('OpMetadata', md);
}

/** The bytes of a whole `pb.Definition` (what `buildctl build` reads on stdin). */
export function definitionToBytes(def: Definition): Uint8Array {
  return encodeMessage('Definition', def);
}

/** Parses `pb.Definition` bytes. Only the envelope is checked; use decodeDefinition to validate the graph. */
export function definitionFromBytes(bytes: Uint8Array): Definition {
  let def: Definition;
  try {
    def = decodeMessage<Definition>('Definition', bytes);
  } catch (err) {
    if (err instanceof DecodeError) throw new DecodeError(`not an LLB definition: ${err.message}`);
    throw err;
  }
  def.def ??= [];
  return def;
}
