// Display names for vertices. Names never enter a cache key: they only label events.
import { CUSTOM_NAME, type Op, type OpMetadata } from '../llb/index.ts';

export function vertexName(op: Op, metadata: OpMetadata): string {
  const custom = metadata.description?.[CUSTOM_NAME];
  if (custom) return custom;
  if (op.source) return op.source.identifier ?? 'source';
  if (op.exec) return (op.exec.meta?.args ?? []).join(' ') || 'exec';
  if (op.file) {
    const kinds = (op.file.actions ?? []).map((a) =>
      a.copy
        ? `copy ${a.copy.src ?? ''} ${a.copy.dest ?? ''}`
        : a.mkfile
          ? `mkfile ${a.mkfile.path ?? ''}`
          : a.mkdir
            ? `mkdir ${a.mkdir.path ?? ''}`
            : a.rm
              ? `rm ${a.rm.path ?? ''}`
              : a.symlink
                ? `symlink ${a.symlink.newpath ?? ''}`
                : 'file',
    );
    return kinds.join(', ') || 'file';
  }
  if (op.merge) return 'merge';
  if (op.diff) return 'diff';
  if (op.build) return 'build';
  if (op.passthrough) return `passthrough ${op.passthrough.id ?? ''}`.trim();
  return 'vertex';
}
