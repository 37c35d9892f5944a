// `--network none|host` for a daemon: written into the RUN ops that leave it unset, with every
// digest that depends on them re-keyed, so the rewritten definition is still one valid graph.
import { describe, expect, test } from 'vitest';
import { decodeDefinition, decodeOp, digestOf, image, marshal, NetMode } from '../../llb/index.ts';
import { withDefaultNetwork } from '../../remote/default-network.ts';

describe('withDefaultNetwork', () => {
  test('unset RUNs get the network; chosen ones keep theirs; inputs, metadata and the head follow', () => {
    const state = image('busybox').run('echo a', { network: 'host' }).root().run('echo b').root();
    const def = marshal(state, { platform: 'linux/amd64' });
    const out = withDefaultNetwork(def, 'none');
    const execs = out.def.map((b) => decodeOp(b)).filter((op) => op.exec);
    expect(execs.map((op) => op.exec!.network)).toEqual([NetMode.HOST, NetMode.NONE]);
    const digests = new Set(out.def.map((b) => digestOf(b)));
    for (const b of out.def) for (const i of decodeOp(b).inputs ?? []) expect(digests.has(i.digest)).toBe(true);
    const keys: string[] = Object.keys(out.metadata ?? {});
    expect(keys.every((key) => [...digests].some((d) => d === key))).toBe(true);
    expect(() => decodeDefinition(out)).not.toThrow();
    // Nothing to change: the same definition back.
    expect(withDefaultNetwork(marshal(image('busybox'), { platform: 'linux/amd64' }), 'none').def).toHaveLength(2);
  });
});
