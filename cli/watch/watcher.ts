// Watch mode's control loop: when to build, when to cancel, when to wait.
//
//                 start()
//   initial ────────────────────────────────┐
//                                           ▼
//   watching ──change──► debouncing ──quiet──► running ──done──► watching
//      ▲                   │  ▲  change           │
//      │                   └──┘ (timer restarts)  │ change / rebuild: abort the build
//      │                                          ▼
//      └───────────── (after debounce) ◄──── queued ──(aborted build settles)──► debouncing
//
//   any state ──stop()──► aborted  (the running build is cancelled; nothing else starts)
//
// The machine holds no I/O of its own: file events, timers and builds are injected, so tests
// drive it step by step without sleeping.

export type WatcherState = 'initial' | 'watching' | 'debouncing' | 'running' | 'queued' | 'aborted';

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface WatcherOptions<T> {
  /** Starts one build; it must stop promptly when `signal` aborts. */
  build(signal: AbortSignal): Promise<T>;
  /** Called after every settled build, with its outcome or failure. */
  onBuildEnd?(result: { ok: true; value: T } | { ok: false; error: unknown; aborted: boolean }): void;
  onStateChange?(state: WatcherState): void;
  /**
   * Quiet time after a change before the rebuild starts (default 20 ms): an editor's save (a
   * write, or a temp file and a rename) lands within it, and a change during a build that
   * started anyway cancels that build. Every millisecond of it is added to each rebuild.
   */
  debounceMs?: number;
  timers?: Timers;
}

const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class Watcher<T> {
  #state: WatcherState = 'initial';
  #timer: unknown;
  #controller: AbortController | undefined;
  #current: Promise<void> | undefined;
  readonly #opts: WatcherOptions<T>;
  readonly #timers: Timers;
  readonly #debounceMs: number;
  #builds = 0;

  constructor(opts: WatcherOptions<T>) {
    this.#opts = opts;
    this.#timers = opts.timers ?? realTimers;
    this.#debounceMs = opts.debounceMs ?? 20;
  }

  get state(): WatcherState {
    return this.#state;
  }

  /** Number of builds started so far. */
  get builds(): number {
    return this.#builds;
  }

  /** A settled promise of the build in flight, if any (for tests and shutdown). */
  get settled(): Promise<void> {
    return this.#current ?? Promise.resolve();
  }

  start(): void {
    if (this.#state !== 'initial') return;
    this.#run();
  }

  /** A watched file changed. */
  fileChanged(): void {
    switch (this.#state) {
      case 'initial':
      case 'aborted':
        return;
      case 'watching':
      case 'debouncing':
        this.#debounce();
        return;
      case 'running':
        this.#set('queued');
        this.#controller?.abort(new Error('a watched file changed'));
        return;
      case 'queued':
        return;
      default:
        throw unknownState(this.#state);
    }
  }

  /** The user asked for a rebuild now (`r`). */
  rebuild(): void {
    switch (this.#state) {
      case 'initial':
      case 'aborted':
        return;
      case 'watching':
      case 'debouncing':
        this.#timers.clear(this.#timer);
        this.#run();
        return;
      case 'running':
        this.#set('queued');
        this.#controller?.abort(new Error('rebuild requested'));
        return;
      case 'queued':
        return;
      default:
        throw unknownState(this.#state);
    }
  }

  /** Stops watching: cancels the build in flight and waits until it has settled. */
  async stop(): Promise<void> {
    this.#timers.clear(this.#timer);
    this.#set('aborted');
    this.#controller?.abort(new Error('watch mode stopped'));
    await this.settled;
  }

  #set(state: WatcherState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#opts.onStateChange?.(state);
  }

  #debounce(): void {
    this.#timers.clear(this.#timer);
    this.#set('debouncing');
    this.#timer = this.#timers.set(() => {
      if (this.#state === 'debouncing') this.#run();
    }, this.#debounceMs);
  }

  #run(): void {
    this.#set('running');
    const controller = new AbortController();
    this.#controller = controller;
    this.#builds++;
    this.#current = this.#opts.build(controller.signal).then(
      (value) => this.#finished(controller, { ok: true, value }),
      (error: unknown) => this.#finished(controller, { ok: false, error, aborted: controller.signal.aborted }),
    );
  }

  #finished(controller: AbortController, result: { ok: true; value: T } | { ok: false; error: unknown; aborted: boolean }): void {
    if (this.#controller === controller) this.#controller = undefined;
    this.#opts.onBuildEnd?.(result);
    switch (this.#state) {
      case 'running':
        this.#set('watching');
        return;
      case 'queued':
        this.#debounce();
        return;
      case 'aborted':
        return;
      case 'initial':
      case 'watching':
      case 'debouncing':
        return;
      default:
        throw unknownState(this.#state);
    }
  }
}

function unknownState(state: never): Error {
  return new Error(`watcher: unknown state ${String(state)}`);
}
