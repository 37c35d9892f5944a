// `watch()`: `tsbuild build --watch` for a Node program. Builds, then rebuilds whenever a file
// the build reads changes (the build file, a build.ts's modules, the context files it selects);
// a change during a build cancels it first. The control loop, the file watching and the choice
// of what to watch are watch mode's own (cli/watch/); this only reports instead of printing.
//
//   const w = watch({ file: 'Dockerfile', outputs: ['type=local,dest=out'] });
//   for await (const e of w.events) if (e.type === 'build-finished') console.log(e.ok ? e.output.imageDigest : e.error.message);
//   await w.close();                                       // or abort the signal given in the options
import { runBuild, type BuildResult } from '../build/index.ts';
import { FileWatch, Watcher, watchSetAfterFailure, watchSetFor, type WatchSet } from '../watch/index.ts';
import { asBuildError, hooksFor, outputOf, planBuild, type BuildOptions, type BuildOutput } from './build.ts';
import { EventQueue, type BuildEvent } from './events.ts';

export interface WatchOptions extends Omit<BuildOptions, 'file' | 'state' | 'definition' | 'image'> {
  /** A Dockerfile, a build.ts, or a directory holding one: what is rebuilt when files change. */
  readonly file: string;
  /** Quiet time after a change before the rebuild starts (default 20 ms). */
  readonly debounceMs?: number;
  /** Receives every event, builds' and watch mode's, as `events` does. Must not throw. */
  readonly onEvent?: (event: WatchEvent) => void;
}

export interface BuildStartedEvent {
  readonly type: 'build-started';
  /** 1 for the first build, then counting. */
  readonly build: number;
}

/** A build's end, sent once what it read is being watched (an edit after it is seen). */
export type BuildFinishedEvent =
  | { readonly type: 'build-finished'; readonly build: number; readonly ok: true; readonly output: BuildOutput }
  | {
      readonly type: 'build-finished';
      readonly build: number;
      readonly ok: false;
      /** A BuildError or BuildInputError as build() would throw; `canceled`: a change or close() stopped it. */
      readonly error: Error;
      readonly canceled: boolean;
    };

export type WatchEvent = BuildEvent | BuildStartedEvent | BuildFinishedEvent;

export interface WatchRun {
  /**
   * Every event of every build, each framed by `build-started` and `build-finished`, ending when
   * watching stops. Kept from the moment this is first read, as build()'s `events`. One reader.
   */
  readonly events: AsyncIterable<WatchEvent>;
  /** Rebuilds now (a build in flight is canceled first). */
  rebuild(): void;
  /** Stops watching: cancels a build in flight, waits for it, and ends `events`. */
  close(): Promise<void>;
}

/** Starts watching; the first build starts at once. Wrong options throw a BuildInputError here. */
export function watch(opts: WatchOptions): WatchRun {
  const { req } = planBuild(opts);
  const queue = new EventQueue<WatchEvent>();
  const emit = (event: WatchEvent) => {
    queue.push(event);
    opts.onEvent?.(event);
  };
  let current: WatchSet = { files: [req.file], contexts: [], ignored: [] };
  let closing = false;
  let count = 0;
  // The last build's watch-set update: close() waits for it, so no file watch outlives it.
  let lastEnd: Promise<void> = Promise.resolve();
  const files = new FileWatch(() => watcher.fileChanged());
  const watcher = new Watcher<BuildResult>({
    build: (signal) => {
      emit({ type: 'build-started', build: ++count });
      return runBuild(req, hooksFor(opts, emit, signal));
    },
    onBuildEnd(end) {
      const build = count;
      let finished: BuildFinishedEvent;
      if (end.ok) {
        if (end.value.compiled) current = watchSetFor(end.value.compiled, req);
        try {
          finished = { type: 'build-finished', build, ok: true, output: outputOf(end.value) };
        } catch (error) {
          finished = { type: 'build-finished', build, ok: false, error: error as Error, canceled: false };
        }
      } else {
        current = watchSetAfterFailure(end.error, req, current);
        const error = asBuildError(end.error);
        finished = { type: 'build-finished', build, ok: false, error: error instanceof Error ? error : new Error(String(error)), canceled: end.aborted };
      }
      // Reported once the files it read are watched: an edit made after this event is seen.
      lastEnd = (closing ? Promise.resolve() : files.set(current)).then(
        () => emit(finished),
        () => emit(finished),
      );
    },
    ...(opts.debounceMs !== undefined ? { debounceMs: opts.debounceMs } : {}),
  });

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      closing = true;
      opts.signal?.removeEventListener('abort', onAbort);
      await watcher.stop();
      await lastEnd;
      await files.close();
      queue.end();
    })());
  const onAbort = () => void close();
  if (opts.signal?.aborted) void close();
  else {
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    // After the caller has had the chance to read `events`: the first build's events are kept.
    queueMicrotask(() => watcher.start());
  }
  return {
    get events() {
      queue.keep();
      return queue;
    },
    rebuild: () => watcher.rebuild(),
    close,
  };
}
