// Tests that need root, runc, overlayfs or the registry must run in CI. Where the machine cannot
// (a developer's laptop without root), they are skipped only when TSBUILD_ALLOW_SKIP=1 is set;
// otherwise they fail, so a CI machine missing a prerequisite never passes silently.
import { execFileSync } from 'node:child_process';

export function missingPrereqs(needs: { root?: boolean; commands?: string[] }): string[] {
  const missing: string[] = [];
  if (needs.root && process.getuid?.() !== 0) missing.push('root');
  for (const cmd of needs.commands ?? []) {
    try {
      execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    } catch {
      missing.push(cmd);
    }
  }
  return missing;
}

/** true → run the suite; false → skip (only with TSBUILD_ALLOW_SKIP=1); throws otherwise. */
export function requirePrereqs(needs: { root?: boolean; commands?: string[] }): boolean {
  const missing = missingPrereqs(needs);
  if (missing.length === 0) return true;
  if (process.env.TSBUILD_ALLOW_SKIP === '1') return false;
  throw new Error(`this test needs ${missing.join(', ')} (run scripts/setup.sh as root, or set TSBUILD_ALLOW_SKIP=1 to skip)`);
}
