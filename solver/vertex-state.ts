// The life of one vertex during a solve. Every vertex has exactly one `status`; the scheduler
// moves it only through `advance()`, which refuses any move not drawn below.
//
//   pending ──────► probing ───all keys hit───► loading ───results loaded───► cached
//      │               │                          │  │
//      │ volatile      │ a definition key misses  │  └─data gone (after a content hit)──┐
//      ▼               ▼                          │                                     │
//   waiting ◄──────────┴───data gone (after a definition hit)                           │
//      │ inputs materialized (built or loaded)                                          │
//      ├──has inputs, not ignoreCache──► matching ──content keys hit──► loading (above) │
//      │                                    │ miss                                      │
//      ▼                                    ▼                                           │
//    queued ◄───────────────────────────────┴───────────────────────────────────────────┘
//      │ acquire() and a queue slot
//      ▼
//   running ──exec resolved──► saving ──records written──► ran
//
//  Any state before `cached`/`ran` can end in `failed` (this vertex's op or store threw first) or
//  `canceled` (another vertex failed, or the caller aborted). A vertex still `pending` when the
//  solve ends was never needed: a vertex downstream of it hit the cache, so its result is covered.
//
// `probing` looks up definition keys (computable without building anything: that is what lets a
// cached target skip its inputs); `matching` computes content keys from the built inputs.

export type VertexStatus =
  'pending' | 'probing' | 'loading' | 'waiting' | 'matching' | 'queued' | 'running' | 'saving' | 'cached' | 'ran' | 'failed' | 'canceled';

export type FinalStatus = 'cached' | 'ran' | 'failed' | 'canceled';

const moves: Record<VertexStatus, readonly VertexStatus[]> = {
  pending: ['probing', 'waiting', 'failed', 'canceled'],
  probing: ['loading', 'waiting', 'failed', 'canceled'],
  loading: ['cached', 'waiting', 'queued', 'failed', 'canceled'],
  waiting: ['matching', 'queued', 'failed', 'canceled'],
  matching: ['loading', 'queued', 'failed', 'canceled'],
  queued: ['running', 'failed', 'canceled'],
  running: ['saving', 'failed', 'canceled'],
  saving: ['ran', 'failed', 'canceled'],
  cached: [],
  ran: [],
  failed: [],
  canceled: [],
};

export function isFinal(status: VertexStatus): status is FinalStatus {
  return moves[status].length === 0;
}

/** Thrown only on a scheduler bug: a move the diagram does not allow. */
export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
}

export function advance(state: { status: VertexStatus; readonly digest: string }, to: VertexStatus): void {
  if (!moves[state.status].includes(to)) {
    throw new IllegalTransitionError(`vertex ${state.digest}: illegal move ${state.status} → ${to}`);
  }
  state.status = to;
}
