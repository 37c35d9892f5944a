// Where a state root's build server listens: `<root>/run/server.sock`. The root follows the same
// rule as the rest of tsbuild ($TSBUILD_ROOT, else ${XDG_DATA_HOME:-~/.local/share}/tsbuild; see
// oci/root.ts), written out here because the launcher asks before any TypeScript loads.
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Unix socket paths longer than this do not fit in sockaddr_un on Linux. */
export const MAX_SOCKET_PATH = 107;

/**
 * @param {NodeJS.ProcessEnv} env
 * @returns {string}
 */
export function serverSocketPath(env) {
  const root = env.TSBUILD_ROOT || join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'tsbuild');
  return join(root, 'run', 'server.sock');
}
