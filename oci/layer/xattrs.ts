// Extended attributes. Node has no xattr API: the native module (../sys) makes the calls, and
// without it this module drives the `attr` package's getfattr/setfattr, in batches: one getfattr
// process dumps a whole tree, one setfattr process restores many files. When neither is there,
// reads return nothing and writes report how many attributes were skipped; callers decide
// whether that matters.
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { nativeSys, xattrRecords } from '../sys/index.ts';
import { runTool, type ToolResult } from '../tool.ts';

export type Xattrs = Map<string, Buffer>;

let available: boolean | undefined;

/** Whether attributes can be read and written: the native module, or getfattr and setfattr on PATH (Debian package `attr`). */
export function xattrToolsAvailable(): boolean {
  if (nativeSys()) return true;
  if (available === undefined) {
    // Looked up on PATH directly: spawning a shell to ask costs a few ms on every build.
    const dirs = (process.env.PATH ?? '/usr/bin:/bin').split(':').filter((d) => d !== '');
    const onPath = (tool: string) => dirs.some((d) => isExecutable(join(d, tool)));
    available = onPath('getfattr') && onPath('setfattr');
  }
  return available;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function run(cmd: string, args: string[], input?: Buffer): Promise<ToolResult> {
  return runTool(cmd, args, { allowFailure: true, ...(input ? { input } : {}) });
}

// getfattr prints file names with control bytes, backslash and non-ASCII as \ooo escapes.
function unquote(s: string): string {
  if (!s.includes('\\')) return s;
  const bytes: number[] = [];
  const raw = Buffer.from(s, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === 0x5c && i + 3 < raw.length && /^[0-7]{3}$/.test(raw.toString('latin1', i + 1, i + 4))) {
      bytes.push(parseInt(raw.toString('latin1', i + 1, i + 4), 8));
      i += 3;
    } else bytes.push(c);
  }
  return Buffer.from(bytes).toString('utf8');
}

function quote(p: string): string {
  const out: string[] = [];
  for (const b of Buffer.from(p, 'utf8')) {
    if (b < 0x20 || b >= 0x7f || b === 0x5c) out.push('\\' + b.toString(8).padStart(3, '0'));
    else out.push(String.fromCharCode(b));
  }
  return out.join('');
}

function parseDump(text: string): Map<string, Xattrs> {
  const out = new Map<string, Xattrs>();
  let current: Xattrs | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('# file: ')) {
      current = new Map();
      out.set(unquote(line.slice(8)), current);
    } else if (current && line !== '') {
      const eq = line.indexOf('=');
      const name = eq === -1 ? line : line.slice(0, eq);
      const value = eq === -1 ? '' : line.slice(eq + 1);
      current.set(name, value.startsWith('0x') ? Buffer.from(value.slice(2), 'hex') : decodeQuoted(value));
    }
  }
  return out;
}

function decodeQuoted(v: string): Buffer {
  if (v.startsWith('"') && v.endsWith('"')) return Buffer.from(unquote(v.slice(1, -1)), 'utf8');
  if (v.startsWith('0s')) return Buffer.from(v.slice(2), 'base64');
  return Buffer.from(v, 'utf8');
}

/**
 * Every extended attribute under `root` (symlinks excluded), keyed by absolute path. Trees asked
 * for in the same turn of the event loop (an export's layers) share one getfattr process: on a
 * ten-layer export that is nine processes fewer on the critical path. `trusted.*` attributes are
 * only visible to root.
 */
export function readXattrTree(root: string): Promise<Map<string, Xattrs>> {
  if (!xattrToolsAvailable()) return Promise.resolve(new Map<string, Xattrs>());
  return new Promise((resolve, reject) => {
    // `void`: readPendingTrees never rejects, it hands every failure to the waiting callers.
    if (pendingTrees.length === 0) setImmediate(() => void readPendingTrees());
    pendingTrees.push({ root, resolve, reject });
  });
}

interface TreeRequest {
  root: string;
  resolve: (m: Map<string, Xattrs>) => void;
  reject: (e: Error) => void;
}

let pendingTrees: TreeRequest[] = [];

async function readPendingTrees(): Promise<void> {
  const batch = pendingTrees;
  pendingTrees = [];
  const roots = [...new Set(batch.map((b) => b.root))];
  let all: Map<string, Xattrs>;
  const sys = nativeSys();
  try {
    if (sys) all = xattrRecords(await sys.xattrTree(roots));
    else {
      const r = await run('getfattr', ['-R', '-P', '-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', '--', ...roots]);
      // getfattr exits 1 when some files cannot be read (vanished, unsupported fs); keep what it read.
      all = parseDump(r.stdout.toString('utf8'));
    }
  } catch (e) {
    for (const b of batch) b.reject(e as Error);
    return;
  }
  for (const b of batch) {
    const prefix = b.root.endsWith('/') ? b.root : `${b.root}/`;
    const mine = new Map<string, Xattrs>();
    for (const [path, x] of all) if (path === b.root || path.startsWith(prefix)) mine.set(path, x);
    b.resolve(mine);
  }
}

/** The extended attributes of one path (not following a final symlink). */
export async function readXattrs(path: string): Promise<Xattrs> {
  const sys = nativeSys();
  if (sys) return xattrRecords(sys.lgetxattrs(path)).get(path) ?? new Map();
  if (!xattrToolsAvailable()) return new Map();
  const r = await run('getfattr', ['-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', '--', path]);
  return parseDump(r.stdout.toString('utf8')).get(path) ?? new Map();
}

export interface XattrWriteResult {
  /** Attributes not written because the tools are missing. */
  skipped: number;
}

/**
 * Sets attributes on many paths with one setfattr process. Paths must be absolute and must
 * already be checked by the caller: setfattr does not follow a final symlink but does follow
 * symlinked parents.
 */
export async function writeXattrs(items: ReadonlyArray<{ path: string; xattrs: Xattrs }>): Promise<XattrWriteResult> {
  const nonEmpty = items.filter((i) => i.xattrs.size > 0);
  if (nonEmpty.length === 0) return { skipped: 0 };
  if (!xattrToolsAvailable()) return { skipped: nonEmpty.reduce((n, i) => n + i.xattrs.size, 0) };
  const sys = nativeSys();
  if (sys) {
    try {
      for (const { path, xattrs } of nonEmpty) for (const [name, value] of xattrs) sys.lsetxattr(path, name, value);
    } catch (e) {
      throw new Error(`setting extended attributes failed: ${(e as Error).message}`, { cause: e });
    }
    return { skipped: 0 };
  }
  const lines: string[] = [];
  for (const { path, xattrs } of nonEmpty) {
    lines.push(`# file: ${quote(path)}`);
    for (const [name, value] of xattrs) lines.push(`${name}=0x${value.toString('hex')}`);
    lines.push('');
  }
  const r = await run('setfattr', ['-h', '--restore=-'], Buffer.from(lines.join('\n') + '\n'));
  if (r.code !== 0) throw new Error(`setting extended attributes failed: ${r.stderr.trim()}`);
  return { skipped: 0 };
}

export const OVERLAY_OPAQUE = 'trusted.overlay.opaque';

/** Attributes that describe overlayfs internals rather than the file; never put in a layer. */
export function isOverlayInternal(name: string): boolean {
  return name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.');
}
