// Reading decoded ops as JSON (llb's toJSONValue): absent fields are protobuf defaults.
import type { JSONValue } from '../../llb/index.ts';

export type Obj = { readonly [key: string]: JSONValue };

export function obj(v: JSONValue | undefined): Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : {};
}

export function array(v: JSONValue | undefined): JSONValue[] {
  return Array.isArray(v) ? v : [];
}

export function strings(v: JSONValue | undefined): string[] {
  return array(v).filter((x): x is string => typeof x === 'string');
}

export function str(v: JSONValue | undefined): string {
  return typeof v === 'string' ? v : '';
}

/** A protobuf int whose default (absent) is 0. */
export function num(v: JSONValue | undefined): number {
  return typeof v === 'number' ? v : 0;
}
