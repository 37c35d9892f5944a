// The /etc/hosts and /etc/resolv.conf every container gets, bind-mounted read-only over the rootfs's.
import { readFile } from 'node:fs/promises';
import type { ExtraHost } from './types.ts';

export function hostsFile(hostname: string, extraHosts: readonly ExtraHost[] = []): string {
  const lines = [`127.0.0.1\tlocalhost ${hostname}`, '::1\tlocalhost ip6-localhost ip6-loopback'];
  for (const h of extraHosts) lines.push(`${h.ip}\t${h.host}`);
  return lines.join('\n') + '\n';
}

/**
 * The host's resolver configuration. With network `none` it is unusable, which is expected; it is
 * still provided so programs that read it do not fail on its absence.
 */
export async function resolvConf(): Promise<string> {
  try {
    return await readFile('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}
