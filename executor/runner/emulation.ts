// Running a platform's binaries on a machine of another architecture: the kernel hands an ELF
// for a foreign machine to the binfmt_misc handler whose magic matches (QEMU user emulation).
// The handler must have the fix-binary flag (F): the kernel then opens the interpreter when the
// rule is registered, so it works inside a container whose rootfs does not hold it. Multi-call
// binaries (busybox) also need preserve-argv0 (P), without which every applet sees the
// interpreter's idea of argv[0].
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatPlatform, hostPlatform, type OciPlatform } from '../../oci/index.ts';

export const BINFMT_DIR = '/proc/sys/fs/binfmt_misc';

/** ELF identity of each architecture: class (1 = 32-bit, 2 = 64-bit), byte order, e_machine. */
const elfMachines: Readonly<Record<string, { bits: 1 | 2; bigEndian: boolean; machine: number; qemu: string }>> = {
  amd64: { bits: 2, bigEndian: false, machine: 62, qemu: 'x86_64' },
  '386': { bits: 1, bigEndian: false, machine: 3, qemu: 'i386' },
  arm64: { bits: 2, bigEndian: false, machine: 183, qemu: 'aarch64' },
  arm: { bits: 1, bigEndian: false, machine: 40, qemu: 'arm' },
  ppc64le: { bits: 2, bigEndian: false, machine: 21, qemu: 'ppc64le' },
  s390x: { bits: 2, bigEndian: true, machine: 22, qemu: 's390x' },
  riscv64: { bits: 2, bigEndian: false, machine: 243, qemu: 'riscv64' },
  mips64le: { bits: 2, bigEndian: false, machine: 8, qemu: 'mips64el' },
  mipsle: { bits: 1, bigEndian: false, machine: 8, qemu: 'mipsel' },
  loong64: { bits: 2, bigEndian: false, machine: 258, qemu: 'loongarch64' },
};

/** The first 20 bytes of an executable for the architecture: enough for any handler's magic. */
export function elfHeaderFor(architecture: string): Buffer | undefined {
  const m = elfMachines[architecture];
  if (!m) return undefined;
  const h = Buffer.alloc(20);
  h.set([0x7f, 0x45, 0x4c, 0x46, m.bits, m.bigEndian ? 2 : 1, 1], 0);
  const write16 = (v: number, at: number) => (m.bigEndian ? h.writeUInt16BE(v, at) : h.writeUInt16LE(v, at));
  write16(2, 16); // e_type: ET_EXEC
  write16(m.machine, 18);
  return h;
}

export interface BinfmtHandler {
  readonly name: string;
  readonly enabled: boolean;
  readonly interpreter: string;
  readonly flags: string;
  readonly offset: number;
  readonly magic: Buffer;
  readonly mask: Buffer | undefined;
}

/** Parses one `/proc/sys/fs/binfmt_misc/<name>` entry; undefined for extension rules. */
export function parseBinfmtEntry(name: string, text: string): BinfmtHandler | undefined {
  const field = (key: string) => new RegExp(`^${key}[: ]\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const magic = field('magic');
  if (magic === undefined) return undefined;
  const mask = field('mask');
  return {
    name,
    enabled: /^enabled$/m.test(text),
    interpreter: field('interpreter') ?? '',
    flags: field('flags') ?? '',
    offset: Number(field('offset') ?? 0),
    magic: Buffer.from(magic, 'hex'),
    mask: mask === undefined ? undefined : Buffer.from(mask, 'hex'),
  };
}

export function handlerMatches(handler: BinfmtHandler, header: Buffer): boolean {
  if (handler.offset + handler.magic.length > header.length) return false;
  for (let i = 0; i < handler.magic.length; i++) {
    const m = handler.mask?.[i] ?? 0xff;
    if (((header[handler.offset + i]! ^ handler.magic[i]!) & m) !== 0) return false;
  }
  return true;
}

/** This machine runs the platform's binaries itself: its own architecture, and 386 on amd64. */
export function runsNatively(platform: OciPlatform, host: OciPlatform = hostPlatform()): boolean {
  if (platform.os !== host.os) return false;
  if (platform.architecture === host.architecture) return platform.architecture !== 'arm' || (platform.variant ?? 'v7') <= (host.variant ?? 'v7');
  return host.architecture === 'amd64' && platform.architecture === '386';
}

/** A platform's RUN cannot run here: says what to install and register. */
export class EmulationUnavailableError extends Error {
  override readonly name = 'EmulationUnavailableError';
}

export type Emulation = { readonly kind: 'native' } | { readonly kind: 'binfmt'; readonly handler: BinfmtHandler };

async function handlers(dir: string): Promise<BinfmtHandler[] | undefined> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  const out: BinfmtHandler[] = [];
  for (const name of names) {
    if (name === 'register' || name === 'status') continue;
    const text = await readFile(join(dir, name), 'utf8').catch(() => undefined);
    const h = text === undefined ? undefined : parseBinfmtEntry(name, text);
    if (h) out.push(h);
  }
  return out;
}

/**
 * How processes of `platform` run on this machine, or an EmulationUnavailableError saying what
 * is missing (nothing registered, a disabled handler, one without the F flag, an unknown
 * architecture).
 */
export async function emulationFor(platform: OciPlatform, opts: { binfmtDir?: string; host?: OciPlatform } = {}): Promise<Emulation> {
  const host = opts.host ?? hostPlatform();
  if (runsNatively(platform, host)) return { kind: 'native' };
  const wanted = formatPlatform(platform);
  const here = `this ${formatPlatform(host)} machine`;
  if (platform.os !== 'linux' || platform.os !== host.os) {
    throw new EmulationUnavailableError(`cannot run ${wanted} processes on ${here}: only linux binaries can run under emulation on linux`);
  }
  const header = elfHeaderFor(platform.architecture);
  if (!header)
    throw new EmulationUnavailableError(`cannot run ${wanted} processes on ${here}: no emulation is known for architecture ${platform.architecture}`);
  const qemu = elfMachines[platform.architecture]!.qemu;
  const howTo =
    `install QEMU user emulation (Debian: apt-get install qemu-user-static) and register qemu-${qemu} in ${BINFMT_DIR} ` +
    `with flags F (fix binary) and P (preserve argv[0]); tsbuild's scripts/register-qemu.sh ${qemu} does it`;
  const dir = opts.binfmtDir ?? BINFMT_DIR;
  const all = await handlers(dir);
  if (all === undefined) {
    throw new EmulationUnavailableError(
      `cannot run ${wanted} processes on ${here}: binfmt_misc is not mounted at ${dir} (mount -t binfmt_misc binfmt_misc ${dir}), then ${howTo}`,
    );
  }
  const matching = all.filter((h) => handlerMatches(h, header));
  const usable = matching.find((h) => h.enabled && h.flags.includes('F'));
  if (usable) return { kind: 'binfmt', handler: usable };
  const found = matching[0];
  if (found && !found.enabled) {
    throw new EmulationUnavailableError(
      `cannot run ${wanted} processes on ${here}: the binfmt_misc handler ${found.name} is disabled (echo 1 > ${join(dir, found.name)})`,
    );
  }
  if (found) {
    throw new EmulationUnavailableError(
      `cannot run ${wanted} processes on ${here}: the binfmt_misc handler ${found.name} lacks the F flag, so its interpreter ${found.interpreter} ` +
        `is not reachable inside a container; re-register it with flags FP (echo -1 > ${join(dir, found.name)}, then ${howTo})`,
    );
  }
  throw new EmulationUnavailableError(
    `cannot run ${wanted} processes on ${here}: no binfmt_misc handler for ${platform.architecture} binaries is registered; ${howTo}`,
  );
}
