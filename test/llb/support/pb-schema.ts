// Our protobuf schema for BuildKit's LLB messages as protobufjs reflection, built from the plain
// data in llb/pb/schema-data.ts. The codec does not use it (it plans from the data directly);
// tests use it to compare with BuildKit's ops.proto and to make random messages.
// The light build: reflection without the .proto text parser, which is never used.
import protobuf from 'protobufjs/light.js';
import { types, type MessageName } from '../../../llb/pb/schema-data.ts';

export type { MessageName } from '../../../llb/pb/schema-data.ts';

export const root: protobuf.Root = protobuf.Root.fromJSON({
  options: { syntax: 'proto3' },
  nested: { pb: { nested: types } },
});
root.resolveAll();

export function messageType(name: MessageName): protobuf.Type {
  return root.lookupType(`pb.${name}`);
}
