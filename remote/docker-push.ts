// `push=true` with the docker builder: docker 20.10's image exporter stores into docker's image
// store and cannot push, so the image is pushed by the same daemon right after, through the
// docker API's `POST /images/{name}/push`, with the client's credentials in X-Registry-Auth.
import http from 'node:http';
import { credentialsFromDockerConfig } from '../oci/index.ts';

export class DockerPushError extends Error {
  override name = 'DockerPushError';
}

/** `host/repo:tag` → repository and tag (`latest` when none). */
function splitName(name: string): { repo: string; tag: string } {
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  return colon > slash ? { repo: name.slice(0, colon), tag: name.slice(colon + 1) } : { repo: name, tag: 'latest' };
}

function registryHost(repo: string): string {
  const first = repo.split('/')[0]!;
  return repo.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
}

/** Pushes `name` from the docker daemon at `socketPath`; resolves with the pushed manifest digest. */
export async function dockerPush(socketPath: string, name: string): Promise<string | undefined> {
  const { repo, tag } = splitName(name);
  const host = registryHost(repo);
  const creds = await credentialsFromDockerConfig(host);
  const auth = Buffer.from(JSON.stringify(creds ? { username: creds.username, password: creds.password, serveraddress: host } : {})).toString('base64url');
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath, method: 'POST', path: `/images/${repo}/push?tag=${encodeURIComponent(tag)}`, headers: { 'X-Registry-Auth': auth } },
      (res) => {
        let buf = '';
        let digest: string | undefined;
        let failure: string | undefined;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (!line) continue;
            try {
              const msg = JSON.parse(line) as { error?: string; aux?: { Digest?: string } };
              if (msg.error) failure ??= msg.error;
              if (msg.aux?.Digest) digest = msg.aux.Digest;
            } catch {
              // a line that is not JSON: not one of the daemon's progress messages, ignored
            }
          }
        });
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new DockerPushError(`docker could not push ${name} (HTTP ${res.statusCode}): ${(failure ?? buf).trim()}`));
          if (failure) return reject(new DockerPushError(`docker could not push ${name}: ${failure}`));
          resolve(digest);
        });
      },
    );
    req.on('error', (e) => reject(new DockerPushError(`docker could not push ${name}: ${e.message}`)));
    req.end();
  });
}
