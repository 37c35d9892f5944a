// Where the peer builders' scripts live. The project knows the shared folder only relative to a
// checkout (`../shared`, beside the repository) or from the environment:
//   TSBUILD_PEERS   the peers folder itself (start.sh, conf/)
//   TSBUILD_SHARED  the shared folder holding peers/ and bench/
// A git worktree kept elsewhere also finds `../shared` beside its main checkout.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface PeersFolder {
  /** The peers folder (holds start.sh), when one was found. */
  readonly dir?: string;
  /** Every place looked at, for the message when none holds start.sh. */
  readonly tried: readonly string[];
}

export function peersCandidates(repo: string, env: NodeJS.ProcessEnv): string[] {
  if (env.TSBUILD_PEERS) return [resolve(env.TSBUILD_PEERS)];
  if (env.TSBUILD_SHARED) return [join(resolve(env.TSBUILD_SHARED), 'peers')];
  const list = [resolve(repo, '../shared/peers')];
  try {
    const common = execFileSync('git', ['rev-parse', '--git-common-dir'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const main = dirname(resolve(repo, common));
    const beside = resolve(main, '../shared/peers');
    if (!list.includes(beside)) list.push(beside);
  } catch {
    // not a git checkout: only the folder beside it
  }
  return list;
}

export function findPeers(repo: string, env: NodeJS.ProcessEnv = process.env): PeersFolder {
  const tried = peersCandidates(repo, env);
  const dir = tried.find((d) => existsSync(join(d, 'start.sh')));
  return dir ? { dir, tried } : { tried };
}

export const installHint = 'apt-get install docker.io buildah skopeo umoci runc docker-registry hyperfine debootstrap';

/** What to run to bring the peers up, as the user would type it. */
export function startCommand(peers: PeersFolder): string {
  return peers.dir ? join(peers.dir, 'start.sh') : '../shared/peers/start.sh (set TSBUILD_SHARED or TSBUILD_PEERS when the shared folder is elsewhere)';
}

let started: { error: string | undefined } | undefined;

/**
 * Runs the peers' start.sh (idempotent: starts only what is down) once per process; its output
 * goes to stderr. Returns why it failed.
 */
export function startPeers(peers: PeersFolder): string | undefined {
  started ??= { error: startOnce(peers) };
  return started.error;
}

function startOnce(peers: PeersFolder): string | undefined {
  if (!peers.dir)
    return `no peers folder with start.sh (looked in ${peers.tried.join(', ')}); set TSBUILD_SHARED=<shared folder> or TSBUILD_PEERS=<peers folder>`;
  console.error(`starting the peers: ${join(peers.dir, 'start.sh')}`);
  try {
    execFileSync('bash', [join(peers.dir, 'start.sh')], { stdio: ['ignore', 2, 2] });
    return undefined;
  } catch (e) {
    const status = (e as { status?: number }).status;
    return `${join(peers.dir, 'start.sh')} failed (exit ${status ?? '?'}, output above); if a tool is missing: ${installHint}`;
  }
}

/** debian:local comes from a debootstrap rootfs that start.sh turns into images. */
export function debianHint(peers: PeersFolder): string {
  const home = (peers.dir && peersSetting(peers.dir, 'PEERS_HOME')) || '$PEERS_HOME';
  return `debootstrap --variant=minbase bookworm ${process.env.PEERS_HOME ?? home}/state/debian-rootfs && ${startCommand(peers)}`;
}

/** The registry start.sh runs, holding busybox and debian. */
export const peersRegistry = 'localhost:5000';

/** Whether the peers' registry holds NAME:TAG. */
export async function registryHas(name: string, tag: string): Promise<boolean> {
  try {
    const r = await fetch(`http://${peersRegistry}/v2/${name}/tags/list`, { signal: AbortSignal.timeout(5000) });
    if (!r.ok) return false;
    const body = (await r.json()) as { tags?: string[] | null };
    return (body.tags ?? []).includes(tag);
  } catch {
    return false;
  }
}

/** A value the peers' shell settings export (`export NAME=value` or `NAME=${NAME:-value}`). */
export function peersSetting(peers: string, name: string): string | undefined {
  const file = join(peers, 'conf/buildah-env.sh');
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  const withDefault = new RegExp(`^(?:export )?${name}=\\$\\{${name}:-([^}]+)\\}`, 'm').exec(text);
  const plain = new RegExp(`^export ${name}=([^\\s$]+)`, 'm').exec(text);
  return withDefault?.[1] ?? plain?.[1];
}
