// Running the external tools tsbuild relies on (cp, mount, mknod, getfattr, git, runc …): one
// helper, one error shape. The error names the command line and says what the tool printed on
// stderr, or that the tool is not installed.
import { spawn } from 'node:child_process';

export interface ToolOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Bytes for the tool's stdin (closed empty otherwise). */
  readonly input?: Buffer | string;
  readonly signal?: AbortSignal;
  /** Resolve with the exit code instead of rejecting when the tool exits non-zero. */
  readonly allowFailure?: boolean;
}

export interface ToolResult {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

export class ToolError extends Error {
  override readonly name = 'ToolError';
  /** The exit code; undefined when the tool could not be started (see `notFound`) or was killed. */
  readonly code: number | undefined;
  readonly stderr: string;
  readonly notFound: boolean;
  readonly tool: string;
  readonly args: readonly string[];

  constructor(tool: string, args: readonly string[], how: { code?: number; stderr?: string; cause?: NodeJS.ErrnoException }) {
    const notFound = how.cause?.code === 'ENOENT';
    const stderr = (how.stderr ?? '').trim();
    const why = notFound ? 'not found: is it installed?' : stderr || (how.code !== undefined ? `exit code ${how.code}` : (how.cause?.message ?? 'killed'));
    super(`${[tool, ...args].join(' ')}: ${why}`, how.cause ? { cause: how.cause } : undefined);
    this.tool = tool;
    this.args = args;
    this.code = how.code;
    this.stderr = stderr;
    this.notFound = notFound;
  }

  /** What the tool said, or the message: the part worth showing after a caller's own words. */
  get detail(): string {
    return this.stderr || this.message;
  }
}

export function runTool(tool: string, args: readonly string[], opts: ToolOptions = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, {
      stdio: [opts.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.once('error', (cause) => reject(new ToolError(tool, args, { cause, stderr: Buffer.concat(err).toString() })));
    child.once('close', (code) => {
      const result = { code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() };
      if (code === 0 || (opts.allowFailure && code !== null)) resolve(result);
      else reject(new ToolError(tool, args, { ...(code !== null ? { code } : {}), stderr: result.stderr }));
    });
    if (opts.input !== undefined && child.stdin) {
      // An early exit closes the pipe; the exit code reports the failure.
      child.stdin.on('error', () => {});
      child.stdin.end(opts.input);
    }
  });
}
