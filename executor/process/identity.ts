// A process named by its pid alone can be mistaken for a later one with the same pid (a pid
// namespace starts at 1 every time: a container that runs tsbuild often gets the same pid on each
// run). The boot and the process's start time tell them apart.
import { readFileSync } from 'node:fs';

/** `<boot id>:<start time>` of a running process, or undefined when it is not running. */
export function processIdentity(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses) are space separated;
    // the start time is field 22, the 20th after the name.
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return start === undefined ? undefined : `${bootId()}:${start}`;
  } catch {
    return undefined;
  }
}

let boot: string | undefined;
function bootId(): string {
  if (boot === undefined) {
    try {
      boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      boot = '';
    }
  }
  return boot;
}
