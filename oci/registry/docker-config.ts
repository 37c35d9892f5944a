// Credentials from Docker's client config (`$DOCKER_CONFIG/config.json`, default
// `~/.docker/config.json`): `auths.<host>.auth` is base64 of "user:password". Docker Hub is filed
// under its historical key `https://index.docker.io/v1/`.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface Credentials {
  username: string;
  password: string;
}

export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env['DOCKER_CONFIG'] ?? join(homedir(), '.docker'), 'config.json');
}

const hubKeys = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];

/** Looks a registry host up in the config; undefined when there is no config or no entry. */
export async function credentialsFromDockerConfig(host: string, path = dockerConfigPath()): Promise<Credentials | undefined> {
  let doc: { auths?: Record<string, { auth?: string; username?: string; password?: string }> };
  try {
    doc = JSON.parse(await readFile(path, 'utf8')) as typeof doc;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read registry credentials from ${path}: ${(err as Error).message}`, { cause: err });
  }
  const auths = doc.auths ?? {};
  const candidates = host === 'docker.io' ? hubKeys : [host, `https://${host}`, `http://${host}`, `https://${host}/v1/`, `https://${host}/v2/`];
  for (const key of candidates) {
    const entry = auths[key];
    if (!entry) continue;
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new Error(`${path}: auths["${key}"].auth is not base64 of "user:password"`);
      return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (entry.username !== undefined && entry.password !== undefined) return { username: entry.username, password: entry.password };
  }
  return undefined;
}
