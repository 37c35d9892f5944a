// `USER` strings resolved the way Docker does: through the rootfs's own /etc/passwd and /etc/group.
import { readFile } from 'node:fs/promises';
import { resolveInRoot } from './root-path.ts';
import { UserResolveError } from './errors.ts';

export interface ResolvedUser {
  readonly uid: number;
  readonly gid: number;
  readonly additionalGids: readonly number[];
  /** From the passwd entry; `/` when the user has none. Unset for the default user: the runtime sets it. */
  readonly home?: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const numeric = /^\d+$/;

const DEFAULT_USER: ResolvedUser = { uid: 0, gid: 0, additionalGids: [] };

/** A step with no USER: root with no groups, nothing to look up in the rootfs. */
export function isDefaultUser(user: string | undefined): boolean {
  return user === undefined || user === '';
}

/**
 * Resolves `user` (`name`, `uid`, `name:group`, `uid:gid`, empty = root) in `rootfs`. A name that
 * is not in the rootfs is an error; a bare uid need not be.
 */
export async function resolveUser(rootfs: string | undefined, user: string | undefined): Promise<ResolvedUser> {
  const spec = user ?? '';
  // No USER: uid and gid 0 and no supplementary groups, as BuildKit runs such a step (`docker
  // run` would add root's groups from /etc/group); HOME comes from the runtime.
  if (isDefaultUser(spec)) return DEFAULT_USER;
  if (rootfs === undefined) throw new Error(`user ${JSON.stringify(spec)} needs the rootfs to be resolved`);
  const colon = spec.indexOf(':');
  const userPart = colon === -1 ? spec : spec.slice(0, colon);
  const groupPart = colon === -1 ? undefined : spec.slice(colon + 1);

  const passwd = await readDb(rootfs, '/etc/passwd', parsePasswd);
  const groups = await readDb(rootfs, '/etc/group', parseGroup);

  let entry: PasswdEntry | undefined;
  let uid: number;
  if (userPart === '') {
    uid = 0;
    entry = passwd.find((p) => p.uid === 0);
  } else if (numeric.test(userPart)) {
    uid = Number(userPart);
    entry = passwd.find((p) => p.uid === uid);
  } else {
    entry = passwd.find((p) => p.name === userPart);
    if (!entry) throw new UserResolveError(`unable to find user ${userPart}: no matching entries in passwd file`);
    uid = entry.uid;
  }

  let gid: number;
  if (groupPart === undefined || groupPart === '') {
    gid = entry?.gid ?? 0;
  } else if (numeric.test(groupPart)) {
    gid = Number(groupPart);
  } else {
    const g = groups.find((x) => x.name === groupPart);
    if (!g) throw new UserResolveError(`unable to find group ${groupPart}: no matching entries in group file`);
    gid = g.gid;
  }

  // Supplementary groups come from membership lists, which name users, so only a known user has any.
  const additionalGids = entry ? [...new Set(groups.filter((g) => g.members.includes(entry.name) && g.gid !== gid).map((g) => g.gid))] : [];
  return { uid, gid, additionalGids, home: entry?.home || '/' };
}

async function readDb<T>(rootfs: string, path: string, parse: (line: string) => T | undefined): Promise<T[]> {
  let text: string;
  try {
    text = await readFile(await resolveInRoot(rootfs, path), 'utf8');
  } catch {
    return [];
  }
  const out: T[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const v = parse(line);
    if (v) out.push(v);
  }
  return out;
}

function parsePasswd(line: string): PasswdEntry | undefined {
  const f = line.split(':');
  if (f.length < 4 || !numeric.test(f[2]!) || !numeric.test(f[3]!)) return undefined;
  return { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '' };
}

function parseGroup(line: string): GroupEntry | undefined {
  const f = line.split(':');
  if (f.length < 3 || !numeric.test(f[2]!)) return undefined;
  return {
    name: f[0]!,
    gid: Number(f[2]),
    members: (f[3] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  };
}
