import { describe, expect, it } from 'vitest';
import { runTool, ToolError } from '../../oci/index.ts';

describe('runTool', () => {
  it('gives stdout and stderr of a tool that succeeds, fed from input', async () => {
    const r = await runTool('sh', ['-c', 'cat; echo note >&2'], { input: 'bytes in\n' });
    expect([r.code, r.stdout.toString(), r.stderr]).toEqual([0, 'bytes in\n', 'note\n']);
  });

  it('rejects with the command line, the exit code and what the tool said', async () => {
    const err = await runTool('sh', ['-c', 'echo "no such thing" >&2; exit 3']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolError);
    const e = err as ToolError;
    expect([e.code, e.stderr, e.detail, e.notFound]).toEqual([3, 'no such thing', 'no such thing', false]);
    expect(e.message).toBe('sh -c echo "no such thing" >&2; exit 3: no such thing');
  });

  it('says a tool is not installed, and resolves a failure when asked to', async () => {
    const e = (await runTool('tsbuild-no-such-tool', ['x']).catch((x: unknown) => x)) as ToolError;
    expect([e.notFound, e.message]).toEqual([true, 'tsbuild-no-such-tool x: not found: is it installed?']);
    expect((await runTool('sh', ['-c', 'exit 4'], { allowFailure: true })).code).toBe(4);
  });
});
