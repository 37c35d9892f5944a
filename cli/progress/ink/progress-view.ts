// The whole TTY view as a pure function of the progress state. Finished steps go to <Static>,
// which writes each once above the live area and never redraws it, so a long build costs the
// same per frame as a short one; the live area holds the header and the running steps.
import { createElement as h, useSyncExternalStore } from 'react';
import { Box, Static, Text, useStdout } from 'ink';
import type { ProgressState, VertexState } from '../state.ts';
import { isRunning } from '../state.ts';
import type { ProgressStore } from '../store.ts';
import { Header } from './header.ts';
import { VertexView } from './vertex-line.ts';
import { FailureView } from './failure-view.ts';

export interface ProgressViewProps {
  readonly state: ProgressState;
  /** Lines of each running step's output to show. Default 6. */
  readonly windowSize?: number;
  /** Terminal columns. Default 80. */
  readonly width?: number;
}

export function ProgressView(props: ProgressViewProps) {
  const { state } = props;
  const windowSize = props.windowSize ?? 6;
  const width = props.width ?? 80;
  const finished = state.finished.map((d) => state.vertices.get(d)).filter((v): v is VertexState => v !== undefined);
  const running = state.order.map((d) => state.vertices.get(d)).filter((v): v is VertexState => v !== undefined && isRunning(v));
  return h(
    Box,
    { flexDirection: 'column' },
    h(Static<VertexState>, {
      items: finished,
      children: (v: VertexState) => h(Box, { key: v.digest, flexDirection: 'column' }, h(VertexView, { vertex: v, now: state.now, windowSize: 0, width })),
    }),
    h(Header, { state }),
    ...running.map((v) => h(VertexView, { key: v.digest, vertex: v, now: state.now, windowSize, width })),
    state.done && state.error !== undefined ? h(FailureView, { key: 'failure', state }) : null,
    // Warnings (waste, a step's own) come last, once the build is over, as BuildKit lists them.
    ...(state.done ? state.warnings.map((w, i) => h(Text, { key: `warning-${i}`, color: 'yellow' }, `WARNING: ${w.short}`)) : []),
  );
}

/** Subscribes to the store's published (throttled) snapshots and renders them. */
export function ProgressApp(props: { store: ProgressStore; windowSize?: number }) {
  const state = useSyncExternalStore(props.store.subscribe, props.store.getSnapshot);
  const { stdout } = useStdout();
  return h(ProgressView, { state, windowSize: props.windowSize, width: (stdout as { columns?: number }).columns ?? 80 });
}
