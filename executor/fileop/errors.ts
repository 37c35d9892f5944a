// Failures of file actions are user errors (a COPY source that does not exist, a path that is a
// file where a directory is needed): they carry a clear message with paths as seen inside the
// snapshot, never the host's temporary directories.

export type FileOpErrorCode =
  | 'not-found' // a source, a parent directory, or an rm target is missing
  | 'exists' // the action would replace something it must not
  | 'not-a-directory'
  | 'is-a-directory'
  | 'invalid' // the action itself is malformed (bad mode string, bad index, symlink loop)
  | 'unsupported' // a shape of action chain or a file type this engine does not handle
  | 'io'; // anything else the file system reported

export type FileActionKind = 'copy' | 'mkfile' | 'mkdir' | 'rm' | 'symlink';

export class FileOpError extends Error {
  override readonly name = 'FileOpError';
  readonly code: FileOpErrorCode;
  /** The path concerned, as seen inside its tree. */
  readonly path: string | undefined;
  /** Index of the failing action in the FileOp, once known. */
  actionIndex: number | undefined;
  kind: FileActionKind | undefined;

  constructor(code: FileOpErrorCode, message: string, path?: string) {
    super(message);
    this.code = code;
    this.path = path;
  }
}

const codes: Record<string, [FileOpErrorCode, string]> = {
  ENOENT: ['not-found', 'no such file or directory'],
  EEXIST: ['exists', 'file exists'],
  ENOTDIR: ['not-a-directory', 'not a directory'],
  EISDIR: ['is-a-directory', 'is a directory'],
  ENOTEMPTY: ['exists', 'directory not empty'],
  ELOOP: ['invalid', 'too many levels of symbolic links'],
};

/**
 * Turns a Node file-system error into a FileOpError whose message names the path inside its
 * tree (`roots` are the host directories of the trees involved, stripped from paths).
 */
export function fromFsError(err: unknown, op: string, roots: readonly string[]): FileOpError {
  if (err instanceof FileOpError) return err;
  const e = err as NodeJS.ErrnoException & { dest?: string };
  if (typeof e?.code !== 'string') throw err;
  // For two-path calls the failing one is the new path when it exists or is a link's own name.
  const host = (e.syscall === 'symlink' || e.code === 'EEXIST') && e.dest ? e.dest : (e.path ?? '');
  let inner = host;
  for (const root of [...roots].sort((a, b) => b.length - a.length)) {
    if (host === root) {
      inner = '/';
      break;
    }
    if (host.startsWith(root + '/')) {
      inner = host.slice(root.length);
      break;
    }
  }
  const [code, text] = codes[e.code] ?? ['io', e.code.toLowerCase()];
  return new FileOpError(code, `${op} ${inner}: ${text}`, inner);
}
