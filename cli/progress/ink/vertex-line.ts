// One step of the build: its name line with a right-aligned timer, its progress rows, and (while
// it runs) a small window on its latest output.
import { createElement as h, Fragment, type ReactNode } from 'react';
import { Box, Text } from 'ink';
import type { StatusRow, VertexState } from '../state.ts';
import { elapsed, isFinished, isRunning } from '../state.ts';
import { formatProgress, formatSeconds } from '../format.ts';

const decoder = new TextDecoder();

export function vertexPrefix(v: VertexState): string {
  if (v.canceled) return 'CANCELED ';
  if (v.error !== undefined) return 'ERROR ';
  if (v.cached) return 'CACHED ';
  return '';
}

/** Timers under 50 ms show as 0.0s, as BuildKit does, so cached steps do not flicker. */
function timer(ms: number): string {
  return formatSeconds(ms < 50 ? 0 : ms);
}

function colorOf(v: VertexState): string | undefined {
  if (v.canceled) return 'yellow';
  if (v.error !== undefined) return 'red';
  if (isFinished(v)) return 'blue';
  return undefined;
}

function Row(props: { left: string; right: string; width: number; color?: string; dim?: boolean }) {
  return h(
    Box,
    { flexDirection: 'row', justifyContent: 'space-between', width: props.width },
    h(Box, { flexShrink: 1 }, h(Text, { wrap: 'truncate-end', color: props.color, dimColor: props.dim }, props.left)),
    h(Box, { flexShrink: 0, marginLeft: 1 }, h(Text, { color: props.color, dimColor: props.dim }, props.right)),
  );
}

export function statusRowText(row: StatusRow): string {
  const amount = formatProgress(row.current, row.total);
  return ` => => ${row.id}${amount === '' ? '' : ` ${amount}`}`;
}

function statusTimer(row: StatusRow): string {
  if (row.started === undefined) return '';
  return timer((row.completed ?? row.timestamp) - row.started);
}

/** The last `size` lines of a running step's output, including the line being written. */
export function logWindow(v: VertexState, size: number): string[] {
  const lines = v.logTail.map((l) => l.text);
  if (v.partialLog.length > 0) lines.push(decoder.decode(v.partialLog));
  return lines.slice(-size);
}

/** `width` is the terminal's: timers align on its right edge, long names are cut to fit. */
export function VertexView(props: { vertex: VertexState; now: number; windowSize: number; width: number }) {
  const v = props.vertex;
  const color = colorOf(v);
  const children: ReactNode[] = [
    h(Row, { key: 'name', left: ` => ${vertexPrefix(v)}${v.name}`, right: timer(elapsed(v, props.now)), width: props.width, color }),
    ...v.statuses.map((row) => h(Row, { key: `s:${row.id}`, left: statusRowText(row), right: statusTimer(row), width: props.width, color })),
  ];
  if (isRunning(v) && props.windowSize > 0) {
    for (const [i, line] of logWindow(v, props.windowSize).entries()) {
      children.push(h(Box, { key: `l:${i}`, width: props.width }, h(Text, { dimColor: true, wrap: 'truncate-end' }, ` => => # ${line}`)));
    }
  }
  return h(Fragment, null, ...children);
}
