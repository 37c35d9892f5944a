// `--chown` for file actions: a user and group given by id, or by name looked up in /etc/passwd
// and /etc/group of a tree chosen by the action (usually the destination tree itself, so a user
// created by an earlier RUN is known). A name that the tree does not define is an error rather
// than a silent root.
import { open } from 'node:fs/promises';
import type { ChownOpt, UserOpt } from '../../llb/index.ts';
import { resolveInRoot } from '../rootpath/index.ts';
import { FileOpError } from './errors.ts';

export interface Owner {
  uid: number;
  gid: number;
}

/** Host directory of the tree whose /etc files name users for `NamedUserOpt.input`. */
export type UserTreeLookup = (input: number | undefined) => Promise<string>;

/** Larger account files are refused rather than read whole. */
const MAX_ACCOUNT_FILE = 10 << 20;

/** The owner a ChownOpt asks for, or undefined when the action keeps ownership as it is. */
export async function resolveOwner(chown: ChownOpt | undefined, treeFor: UserTreeLookup): Promise<Owner | undefined> {
  if (!chown || (!chown.user && !chown.group)) return undefined;
  const owner: Owner = { uid: 0, gid: 0 };
  if (chown.user) {
    const id = userId(chown.user);
    if (id !== undefined) {
      owner.uid = id;
      owner.gid = id;
    } else {
      const name = chown.user.byName?.name ?? '';
      const entry = await findEntry(await treeFor(chown.user.byName?.input), '/etc/passwd', name);
      if (!entry) throw new FileOpError('not-found', `unable to find user ${name}: no matching entries in passwd file`);
      owner.uid = parseId(entry[2], name);
      owner.gid = parseId(entry[3], name);
    }
  }
  if (chown.group) {
    const id = userId(chown.group);
    if (id !== undefined) owner.gid = id;
    else {
      const name = chown.group.byName?.name ?? '';
      const entry = await findEntry(await treeFor(chown.group.byName?.input), '/etc/group', name);
      if (!entry) throw new FileOpError('not-found', `unable to find group ${name}: no matching entries in group file`);
      owner.gid = parseId(entry[2], name);
    }
  }
  return owner;
}

function userId(u: UserOpt): number | undefined {
  if (u.byName) return undefined;
  return u.byID ?? 0;
}

function parseId(field: string | undefined, name: string): number {
  const n = Number(field);
  if (!Number.isInteger(n) || n < 0) throw new FileOpError('invalid', `invalid id for ${name} in account file: "${field}"`);
  return n;
}

/** The colon-separated fields of the first line naming `name`, or undefined. */
async function findEntry(tree: string, file: string, name: string): Promise<string[] | undefined> {
  const host = await resolveInRoot(tree, file);
  let text: string;
  try {
    const fh = await open(host, 'r');
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new FileOpError('invalid', `${file} is not a regular file`, file);
      if (st.size > MAX_ACCOUNT_FILE) throw new FileOpError('invalid', `${file} exceeds ${MAX_ACCOUNT_FILE} bytes`, file);
      text = await fh.readFile('utf8');
    } finally {
      await fh.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
  for (const line of text.split('\n')) {
    const fields = line.trim().split(':');
    if (fields[0] === name && !line.startsWith('#')) return fields;
  }
  return undefined;
}
