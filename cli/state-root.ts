import { homedir } from 'node:os';
import { join } from 'node:path';

/** `$TSBUILD_ROOT`, else `${XDG_DATA_HOME:-~/.local/share}/tsbuild`. */
export function stateRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TSBUILD_ROOT) return env.TSBUILD_ROOT;
  const data = env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(data, 'tsbuild');
}
