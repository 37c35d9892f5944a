import { createElement as h } from 'react';
import { Text } from 'ink';
import type { ProgressState } from '../state.ts';
import { formatSeconds } from '../format.ts';

/** `[+] Building 12.3s (8/10)`, then ` FINISHED` once every step has finished. */
export function headerText(state: ProgressState): string {
  const start = state.startedAt ?? state.now;
  const end = state.finishedAt ?? state.now;
  const finished = state.done && state.total > 0 && state.completed === state.total;
  return `[+] Building ${formatSeconds(end - start)} (${state.completed}/${state.total})${finished ? ' FINISHED' : ''}`;
}

export function Header(props: { state: ProgressState }) {
  return h(Text, { bold: true, color: props.state.error !== undefined ? 'red' : undefined }, headerText(props.state));
}
