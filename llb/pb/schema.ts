// Our protobuf schema for BuildKit's LLB messages as protobufjs reflection, built from the plain
// data in schema-data.ts. The codec does not use it (it plans from the data directly); it is
// here for tools and tests that want protobufjs types, e.g. to compare with BuildKit's ops.proto.
// The light build: reflection without the .proto text parser, which is never used.
import protobuf from 'protobufjs/light.js';
import { types, type MessageName } from './schema-data.ts';

export type { MessageName } from './schema-data.ts';

export const root: protobuf.Root = protobuf.Root.fromJSON({
  options: { syntax: 'proto3' },
  nested: { pb: { nested: types } },
});
root.resolveAll();

export function messageType(name: MessageName): protobuf.Type {
  return root.lookupType(`pb.${name}`);
}
