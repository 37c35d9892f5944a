// The OCI runtime spec (config.json) of one run. Defaults follow what Docker gives a container:
// its capability set, namespaces, and the kernel filesystems, with /sys and cgroups read-only.
// No seccomp profile is applied: builds run trusted Dockerfile steps, and the capability set
// already excludes the dangerous syscalls' main users (SYS_ADMIN, SYS_MODULE…).
import type { NetworkMode, OverlayRootfs, RunnerMount } from './types.ts';
import type { ResolvedUser } from './user.ts';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const DEFAULT_HOSTNAME = 'tsbuild';

export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
] as const;

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface SpecInput {
  rootPath: string;
  /** Mounted by the runtime on `/` before everything else (the root path is then an empty dir). */
  rootOverlay?: OverlayRootfs;
  args: readonly string[];
  env: readonly string[];
  cwd: string;
  user: ResolvedUser;
  hostname: string;
  network: NetworkMode;
  readonlyRootfs: boolean;
  mounts: readonly RunnerMount[];
  hostsPath: string;
  resolvConfPath: string;
  nofile: number;
}

/**
 * Env with a default PATH (and HOME from passwd) when the caller gave none. Without `home`, the
 * runtime sets HOME from the container's passwd.
 */
export function processEnv(env: readonly string[] | undefined, home: string | undefined): string[] {
  const out = [...(env ?? [])];
  if (!out.some((e) => e.startsWith('PATH='))) out.unshift(`PATH=${DEFAULT_PATH}`);
  if (home !== undefined && !out.some((e) => e.startsWith('HOME='))) out.push(`HOME=${home}`);
  return out;
}

export function kernelMounts(): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ];
}

export function userMount(m: RunnerMount): OciMount {
  switch (m.type) {
    case 'bind':
      return { destination: m.destination, type: 'bind', source: m.source, options: ['rbind', m.readonly ? 'ro' : 'rw', 'nosuid', 'nodev'] };
    case 'tmpfs':
      return {
        destination: m.destination,
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'nodev', 'mode=1777', ...(m.size !== undefined ? [`size=${m.size}`] : [])],
      };
    case 'overlay': {
      const options = [`lowerdir=${m.lowerdirs.join(':')}`];
      if (m.upperdir !== undefined && m.workdir !== undefined) options.push(`upperdir=${m.upperdir}`, `workdir=${m.workdir}`);
      else options.push('ro');
      return { destination: m.destination, type: 'overlay', source: 'overlay', options };
    }
  }
}

/** Mount destinations in the order the runtime applies them (for stub bookkeeping too). */
export function allMounts(input: Pick<SpecInput, 'mounts' | 'hostsPath' | 'resolvConfPath'>): OciMount[] {
  return [
    ...kernelMounts(),
    { destination: '/etc/hosts', type: 'bind', source: input.hostsPath, options: ['rbind', 'ro', 'nosuid', 'nodev'] },
    { destination: '/etc/resolv.conf', type: 'bind', source: input.resolvConfPath, options: ['rbind', 'ro', 'nosuid', 'nodev'] },
    ...input.mounts.map(userMount),
  ];
}

export function buildSpec(input: SpecInput): Record<string, unknown> {
  const namespaces: { type: string }[] = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (input.network === 'none') namespaces.push({ type: 'network' });
  const caps = [...DEFAULT_CAPABILITIES];
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: input.user.uid, gid: input.user.gid, additionalGids: [...input.user.additionalGids] },
      args: [...input.args],
      env: [...input.env],
      cwd: input.cwd,
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: input.nofile, soft: input.nofile }],
      noNewPrivileges: false,
    },
    root: { path: input.rootPath, readonly: input.readonlyRootfs },
    hostname: input.hostname,
    mounts: [...(input.rootOverlay ? [userMount({ ...input.rootOverlay, destination: '/' })] : []), ...allMounts(input)],
    linux: {
      namespaces,
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      maskedPaths: [
        '/proc/asound',
        '/proc/acpi',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/proc/sched_debug',
        '/proc/scsi',
        '/sys/firmware',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}
