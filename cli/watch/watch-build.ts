// `--watch`: build, then rebuild whenever a file the build reads changes. Each rebuild re-runs
// the frontend and the solve; the cache makes unchanged steps free, and a change during a build
// cancels it (containers killed, nothing half-written) before the next one starts.
import { decodeDefinition } from '../../llb/index.ts';
import { watchContexts } from '../../executor/index.ts';
import { buildOnce, printExplanations, summarize, writeBuildFiles, type BuildOptions, type BuildRequest, type BuildResult } from '../build/index.ts';
import { FileWatch, type WatchSet } from './file-watch.ts';
import { Watcher } from './watcher.ts';
import { watchSetAfterFailure, watchSetFor } from './watch-set.ts';

/** Steps that ran: local sources are read afresh every build and are not counted as steps. */
function rebuiltSteps(result: BuildResult): number {
  if (!result.compiled || !result.outcome) return 0;
  const ops = decodeDefinition(result.compiled.definition).byDigest;
  let n = 0;
  for (const [digest, v] of result.outcome.vertices) {
    if (v.status === 'ran' && !ops.get(digest)?.op.source?.identifier?.startsWith('local://')) n++;
  }
  return n;
}

type BuildEnd = { ok: true; value: BuildResult } | { ok: false; error: unknown; aborted: boolean };

export function statusLine(watched: number, seconds: number, ok: boolean, steps: number): string {
  return `watching ${watched} files · last build ${seconds.toFixed(1)}s ${ok ? '✔' : '✘'} · ${steps} step${steps === 1 ? '' : 's'} rebuilt`;
}

export async function watchBuild(req: BuildRequest, opts: BuildOptions): Promise<number> {
  // Every rebuild hashes the contexts again: watched, only what changed is read and stat'ed.
  watchContexts(true);
  let current: WatchSet = { files: [req.file], contexts: [], ignored: [] };
  let watcher: Watcher<BuildResult> | undefined;
  const files = new FileWatch(() => watcher?.fileChanged());
  let started = 0;
  // Set on SIGINT/SIGTERM/q. The end of a build canceled by the stop is still reported, but must
  // not re-arm the file watch: a watcher made after the final close keeps the process alive.
  let stopping = false;
  let lastEnd: Promise<void> = Promise.resolve();

  watcher = new Watcher<BuildResult>({
    build: (signal) => {
      started = performance.now();
      return buildOnce(req, opts, signal);
    },
    onBuildEnd(end) {
      lastEnd = reportEnd(end);
    },
  });

  async function reportEnd(end: BuildEnd): Promise<void> {
    const seconds = (performance.now() - started) / 1000;
    if (end.ok) {
      const result = end.value;
      if (result.compiled) current = watchSetFor(result.compiled, req);
      if (opts.explain) printExplanations(result.explanations, (s) => process.stderr.write(s));
      if (result.ok) {
        summarize(result, opts);
        await writeBuildFiles(result.exported, {
          ...(opts.iidfile ? { iidfile: opts.iidfile } : {}),
          ...(opts.metadataFile ? { metadataFile: opts.metadataFile } : {}),
        });
      } else process.stderr.write(`ERROR: ${result.message}\n`);
      if (stopping) return;
      await files.set(current);
      process.stderr.write(`${statusLine(files.watchedCount(), seconds, result.ok, rebuiltSteps(result))}  (r: rebuild, q: quit)\n`);
    } else if (end.aborted) {
      process.stderr.write('build canceled: a watched file changed\n');
    } else {
      process.stderr.write(`ERROR: ${end.error instanceof Error ? end.error.message : String(end.error)}\n`);
      current = watchSetAfterFailure(end.error, req, current);
      if (stopping) return;
      await files.set(current);
      process.stderr.write(`${statusLine(files.watchedCount(), seconds, false, 0)}  (r: rebuild, q: quit)\n`);
    }
  }

  const stop = new Promise<void>((resolve) => {
    const quit = () => resolve();
    process.once('SIGINT', quit);
    process.once('SIGTERM', quit);
    const stdin = process.stdin;
    if (stdin.isTTY) {
      stdin.setRawMode(true);
      stdin.resume();
      stdin.on('data', (key: Buffer) => {
        const k = key.toString();
        if (k === 'r') watcher?.rebuild();
        else if (k === 'q' || k === '\u0003') quit();
      });
    }
  });

  watcher.start();
  await stop;
  stopping = true;
  await watcher.stop();
  await lastEnd;
  await files.close();
  if (process.stdin.isTTY) {
    process.stdin.setRawMode(false);
    process.stdin.pause();
  }
  return 0;
}
