// `tsbuild inspect`: an image's config, platforms, layers and wasted bytes.
export { openImage, type OpenedImage, type OpenOptions } from './open-image.ts';
export { inspectReport, formatReport, type InspectReport, type LayerReport } from './report.ts';
