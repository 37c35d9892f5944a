export { createTtyRenderer } from './tty.ts';
export { ProgressView, ProgressApp } from './progress-view.ts';
export type { ProgressViewProps } from './progress-view.ts';
export { Header, headerText } from './header.ts';
export { VertexView, vertexPrefix, statusRowText, logWindow } from './vertex-line.ts';
export { FailureView } from './failure-view.ts';
