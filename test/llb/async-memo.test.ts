// The one memo rule: shared while in flight, kept once done, forgotten after a failure.
import { describe, expect, it } from 'vitest';
import { AsyncMemo, asyncOnce } from '../../llb/index.ts';

/** A promise settled by hand, so the test decides when the work ends. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('AsyncMemo', () => {
  it('shares one in-flight promise between concurrent callers and keeps the result', async () => {
    const memo = new AsyncMemo<string, number>();
    const d = deferred<number>();
    let calls = 0;
    const make = () => (calls++, d.promise);
    const a = memo.get('k', make);
    const b = memo.get('k', make);
    expect(b).toBe(a);
    d.resolve(7);
    expect(await a).toBe(7);
    expect(await memo.get('k', make)).toBe(7);
    expect(calls).toBe(1);
  });

  it('forgets a rejection, so the next call retries', async () => {
    const memo = new AsyncMemo<string, string>();
    let calls = 0;
    const make = async () => {
      calls++;
      if (calls === 1) throw new Error('not yet');
      return 'ok';
    };
    const first = memo.get('k', make);
    // Callers that arrive while the failing work runs share its failure.
    const second = memo.get('k', make);
    await expect(first).rejects.toThrow('not yet');
    await expect(second).rejects.toThrow('not yet');
    expect(await memo.get('k', make)).toBe('ok');
    expect(calls).toBe(2);
    expect(memo.size).toBe(1);
  });

  it('turns a synchronous throw of make into a rejection that is forgotten too', async () => {
    const memo = new AsyncMemo<number, number>();
    await expect(
      memo.get(1, () => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(memo.peek(1)).toBeUndefined();
    expect(await memo.get(1, async () => 2)).toBe(2);
  });

  it('drops results that keep refuses, after sharing them while in flight', async () => {
    const memo = new AsyncMemo<string, number | undefined>({ keep: (v) => v !== undefined });
    const d = deferred<number | undefined>();
    const a = memo.get('k', () => d.promise);
    expect(memo.get('k', async () => 1)).toBe(a);
    d.resolve(undefined);
    expect(await a).toBeUndefined();
    expect(await memo.get('k', async () => 1)).toBe(1);
    expect(await memo.get('k', async () => 2)).toBe(1);
  });

  it('a failure that settles after set() does not drop the newer entry', async () => {
    const memo = new AsyncMemo<string, number>();
    const d = deferred<number>();
    const a = memo.get('k', () => d.promise);
    memo.set('k', 5);
    d.reject(new Error('late'));
    await expect(a).rejects.toThrow('late');
    expect(await memo.peek('k')).toBe(5);
  });
});

describe('asyncOnce', () => {
  it('runs once while it succeeds and again after a failure', async () => {
    let calls = 0;
    const get = asyncOnce(async () => {
      calls++;
      if (calls === 1) throw new Error('first');
      return calls;
    });
    await expect(get()).rejects.toThrow('first');
    expect(await get()).toBe(2);
    expect(await get()).toBe(2);
    expect(calls).toBe(2);
  });
});
