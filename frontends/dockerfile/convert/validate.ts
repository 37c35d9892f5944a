// Value checks done after expansion: ports, signals, chmod modes, chown specs.
import { InstructionError } from '../errors.ts';

const fail = (m: string): never => {
  throw new InstructionError(m);
};

/** `80`, `80/udp`, `8000-8010/tcp` → `80/tcp`, `80/udp`, `8000/tcp` … */
export function parsePorts(spec: string): string[] {
  const slash = spec.lastIndexOf('/');
  const portPart = slash < 0 ? spec : spec.slice(0, slash);
  const proto = (slash < 0 ? 'tcp' : spec.slice(slash + 1)).toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(proto)) fail(`invalid proto: ${proto} (in EXPOSE ${spec}; use tcp, udp or sctp)`);
  // `ip:hostPort:containerPort` forms belong to `docker run -p`, not EXPOSE
  const colon = portPart.lastIndexOf(':');
  const ports = colon < 0 ? portPart : portPart.slice(colon + 1);
  const m = /^(\d+)(?:-(\d+))?$/.exec(ports);
  if (!m) fail(`invalid containerPort: ${ports} (EXPOSE takes port[/proto] or start-end[/proto])`);
  const start = Number((m as RegExpExecArray)[1]);
  const end = (m as RegExpExecArray)[2] === undefined ? start : Number((m as RegExpExecArray)[2]);
  if (start > 65535 || end > 65535) fail(`invalid port: ${ports} (ports are 0-65535)`);
  if (end < start) fail(`invalid range specified for containerPort: ${ports}`);
  const out: string[] = [];
  for (let p = start; p <= end; p++) out.push(`${p}/${proto}`);
  return out;
}

const signals = new Set([
  'ABRT',
  'ALRM',
  'BUS',
  'CHLD',
  'CLD',
  'CONT',
  'FPE',
  'HUP',
  'ILL',
  'INT',
  'IO',
  'IOT',
  'KILL',
  'PIPE',
  'POLL',
  'PROF',
  'PWR',
  'QUIT',
  'SEGV',
  'STKFLT',
  'STOP',
  'SYS',
  'TERM',
  'TRAP',
  'TSTP',
  'TTIN',
  'TTOU',
  'URG',
  'USR1',
  'USR2',
  'VTALRM',
  'WINCH',
  'XCPU',
  'XFSZ',
  'UNUSED',
]);

export function checkSignal(sig: string): void {
  if (/^\d+$/.test(sig)) {
    if (Number(sig) === 0 || Number(sig) > 64) fail(`Invalid signal: ${sig}`);
    return;
  }
  const name = sig.toUpperCase().replace(/^SIG/, '');
  if (signals.has(name) || /^RTM(IN|AX)([+-]\d+)?$/.test(name)) return;
  fail(`Invalid signal: ${sig}`);
}

export interface ChmodSpec {
  readonly mode?: number;
  readonly modeStr?: string;
}

export function parseChmod(value: string): ChmodSpec | undefined {
  if (value === '') return undefined;
  if (/^[0-7]+$/.test(value)) {
    const mode = Number.parseInt(value, 8);
    if (mode > 0o7777) fail(`invalid chmod parameter: ${value}. it should be octal string and between 0 and 07777`);
    return { mode };
  }
  if (/^\d+$/.test(value)) fail(`invalid chmod parameter: ${value}. it should be octal string and between 0 and 07777`);
  if (!/^([ugoa]*([-+=]([rwxXst]*|[ugo]))+)(,[ugoa]*([-+=]([rwxXst]*|[ugo]))+)*$/.test(value)) {
    fail(`invalid chmod parameter: ${value}. it should be octal string (like 0755) or symbolic mode (like u+x,g-w)`);
  }
  return { modeStr: value };
}

export interface ChownSpec {
  readonly user: { readonly id: number } | { readonly name: string };
  readonly group?: { readonly id: number } | { readonly name: string };
}

export function parseChown(value: string): ChownSpec | undefined {
  if (value === '') return undefined;
  const [u, g, ...more] = value.split(':');
  if (more.length > 0 || u === '' || g === '') fail(`invalid chown parameter: ${value} (use user, user:group, uid or uid:gid)`);
  const part = (s: string) => (/^\d+$/.test(s) ? { id: Number(s) } : { name: s });
  return g === undefined ? { user: part(u as string) } : { user: part(u as string), group: part(g) };
}
