/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
// Lock files and leftovers name the process that made them; whether it still runs decides
// whether they may be cleaned.

export function isAlive(pid: number | undefined): boolean {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
