// Where a state root's build server listens: `<root>/run/server.sock`. The root follows the same
// rule as the rest of tsbuild ($TSBUILD_ROOT, else ${XDG_DATA_HOME:-~/.local/share}/tsbuild; see
// oci/root.ts), written out here so that the launcher's client loads nothing else.
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Unix socket paths longer than this do not fit in sockaddr_un on Linux. */
export const MAX_SOCKET_PATH = 107;

/** `<root>/run/server.sock` for the state root `env` names. */
export function serverSocketPath(env: NodeJS.ProcessEnv): string {
  const root = env.TSBUILD_ROOT || join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'tsbuild');
  return join(root, 'run', 'server.sock');
}
