// `--progress=MODE` → a renderer on a stream (stderr by default, so stdout stays free for
// `-o -` tars and `-q` digests). Ink is imported only when a TTY view is really wanted: plain,
// rawjson and quiet start without loading React.
import type { Clock } from './clock.ts';
import { createPlainRenderer } from './plain.ts';
import { createRawJsonRenderer } from './rawjson.ts';
import type { ProgressRenderer, TextSink } from './renderer.ts';
import type { ProgressStoreOptions } from './store.ts';

export const progressModes = ['auto', 'tty', 'plain', 'rawjson', 'quiet'] as const;
export type ProgressMode = (typeof progressModes)[number];

export function isProgressMode(s: string): s is ProgressMode {
  return (progressModes as readonly string[]).includes(s);
}

export interface SelectOptions {
  /** Where progress goes. Default process.stderr. */
  readonly stream?: TextSink & { isTTY?: boolean };
  /** Environment to read `CI` from. Default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly clock?: Clock;
  /** Store options for the TTY view (throttle, timers). */
  readonly tty?: ProgressStoreOptions;
}

/** What `auto` means for this stream: a live view only on a terminal outside CI. */
export function resolveMode(mode: ProgressMode, stream: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>): Exclude<ProgressMode, 'auto'> {
  if (mode !== 'auto') return mode;
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
  return stream.isTTY === true && !ci ? 'tty' : 'plain';
}

export async function selectRenderer(mode: ProgressMode, options: SelectOptions = {}): Promise<ProgressRenderer> {
  const stream = options.stream ?? process.stderr;
  switch (resolveMode(mode, stream, options.env ?? process.env)) {
    case 'tty': {
      const { createTtyRenderer } = await import('./ink/tty.ts');
      return createTtyRenderer(stream as NodeJS.WriteStream, { clock: options.clock, ...options.tty });
    }
    case 'plain':
      return createPlainRenderer(stream, options.clock);
    case 'rawjson':
      return createRawJsonRenderer(stream);
    case 'quiet':
      return { onEvent() {}, async done() {} };
  }
}
