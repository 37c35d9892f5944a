// Which platforms this machine runs, read from binfmt_misc entries: a fake binfmt directory holds
// entries in the kernel's format (here Debian's rule for aarch64), so every verdict is checked
// without touching the kernel's table.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { elfHeaderFor, emulationFor, handlerMatches, parseBinfmtEntry, runsNatively } from '../../../executor/runner/index.ts';

const aarch64Entry = (flags: string, enabled = true) =>
  [
    enabled ? 'enabled' : 'disabled',
    'interpreter /usr/bin/qemu-aarch64-static',
    `flags: ${flags}`,
    'offset 0',
    'magic 7f454c460201010000000000000000000200b700',
    'mask ffffffffffffff00fffffffffffffffffeffffff',
    '',
  ].join('\n');

const host = { os: 'linux', architecture: 'amd64' };
const arm64 = { os: 'linux', architecture: 'arm64' };
const dirs: string[] = [];

async function binfmtDir(entries: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tsbuild-binfmt-'));
  dirs.push(dir);
  await writeFile(join(dir, 'register'), '');
  await writeFile(join(dir, 'status'), 'enabled\n');
  for (const [name, text] of Object.entries(entries)) await writeFile(join(dir, name), text);
  return dir;
}

afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('binfmt_misc entries', () => {
  test('an aarch64 rule matches arm64 executables and nothing else', () => {
    const h = parseBinfmtEntry('qemu-aarch64', aarch64Entry('PF'))!;
    expect(h).toMatchObject({ enabled: true, interpreter: '/usr/bin/qemu-aarch64-static', flags: 'PF', offset: 0 });
    expect(handlerMatches(h, elfHeaderFor('arm64')!)).toBe(true);
    for (const arch of ['amd64', 'arm', 's390x', 'riscv64', 'ppc64le']) expect(handlerMatches(h, elfHeaderFor(arch)!)).toBe(false);
  });

  test('an extension rule is not a magic rule', () => {
    expect(parseBinfmtEntry('jar', 'enabled\ninterpreter /usr/bin/jexec\nflags: \nextension .jar\n')).toBeUndefined();
  });

  test('the host architecture, and 386 on amd64, run natively', () => {
    expect(runsNatively(host, host)).toBe(true);
    expect(runsNatively({ os: 'linux', architecture: '386' }, host)).toBe(true);
    expect(runsNatively(arm64, host)).toBe(false);
  });
});

describe('emulationFor', () => {
  test('a registered handler with F is used', async () => {
    const dir = await binfmtDir({ 'qemu-aarch64': aarch64Entry('PF') });
    const e = await emulationFor(arm64, { binfmtDir: dir, host });
    expect(e.kind === 'binfmt' && e.handler.name).toBe('qemu-aarch64');
    expect(await emulationFor(host, { binfmtDir: dir, host })).toEqual({ kind: 'native' });
  });

  test('no handler: says what to install and register', async () => {
    const dir = await binfmtDir({});
    await expect(emulationFor(arm64, { binfmtDir: dir, host })).rejects.toThrow(
      /cannot run linux\/arm64 processes on this linux\/amd64 machine: no binfmt_misc handler for arm64.*apt-get install qemu-user-static.*qemu-aarch64.*flags F.*P/,
    );
  });

  test('a handler without F, or disabled, is named with the fix', async () => {
    const noF = await binfmtDir({ 'qemu-aarch64': aarch64Entry('OC') });
    await expect(emulationFor(arm64, { binfmtDir: noF, host })).rejects.toThrow(/qemu-aarch64 lacks the F flag.*not reachable inside a container/);
    const off = await binfmtDir({ 'qemu-aarch64': aarch64Entry('PF', false) });
    await expect(emulationFor(arm64, { binfmtDir: off, host })).rejects.toThrow(/qemu-aarch64 is disabled/);
  });

  test('binfmt_misc not mounted, and an architecture without emulation', async () => {
    await expect(emulationFor(arm64, { binfmtDir: join(tmpdir(), 'no-such-binfmt-dir'), host })).rejects.toThrow(/binfmt_misc is not mounted/);
    await expect(emulationFor({ os: 'linux', architecture: 'wasm' }, { host })).rejects.toThrow(/no emulation is known for architecture wasm/);
  });
});
