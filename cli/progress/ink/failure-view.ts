import { createElement as h } from 'react';
import { Box, Text } from 'ink';
import type { ProgressState } from '../state.ts';
import { failureReport } from '../failure.ts';

/** After a failed build: each failed step's output tail and its source lines, `>>>` marked. */
export function FailureView(props: { state: ProgressState }) {
  const lines = failureReport(props.state);
  if (lines.length === 0) return null;
  return h(Box, { flexDirection: 'column' }, ...lines.map((line, i) => h(Text, { key: i, color: line.includes('>>>') ? 'red' : undefined }, line)));
}
