// A ref made by writing files into a fresh snapshot (http and git sources, local contexts).
import type { Ref } from '../refs/index.ts';
import { uniqueKey, type OpsContext } from './context.ts';

/** Prepares a writable snapshot on `parent` (or empty), lets `fill` write into it, commits it. */
export async function writeSnapshot(ctx: OpsContext, parent: Ref | undefined, description: string, fill: (dir: string) => Promise<void>): Promise<Ref> {
  const s = ctx.snapshotter;
  const active = uniqueKey('write');
  await s.prepare(active, await ctx.refs.parentKey(parent));
  let committed: string;
  try {
    await fill(await s.activeDir(active));
    committed = await s.commit(active);
  } catch (e) {
    await s.remove(active).catch(() => {});
    throw e;
  }
  return ctx.refs.child(parent, committed, description);
}
