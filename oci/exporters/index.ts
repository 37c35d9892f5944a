// The exporters: images (local store, push, layout archives) and filesystems (directory, tar).
export * from './image-exporter.ts';
export * from './layout.ts';
export * from './filesystem.ts';
export * from './rewrite-timestamp.ts';
