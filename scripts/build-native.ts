// Compiles oci/sys/sys.c, the N-API module for the syscalls Node lacks (mount, umount2, mknod,
// xattrs), into oci/sys/build/tsbuild-sys.node with the C compiler and the headers of the Node
// that runs this script. N-API's ABI is stable across Node versions, so one build serves every
// Node >= 24. tsbuild runs without it (it spawns the tools instead), so a missing compiler is a
// warning here unless --require is given.
//
//   node scripts/build-native.ts [--if-stale] [--require] [--out FILE]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'oci/sys/sys.c');
const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const out = outAt >= 0 ? args[outAt + 1]! : join(root, 'oci/sys/build/tsbuild-sys.node');
const required = args.includes('--require');

if (args.includes('--if-stale') && existsSync(out) && statSync(out).mtimeMs >= statSync(source).mtimeMs) process.exit(0);

// The npm registry's node package and Debian's nodejs both ship the headers beside the binary.
// (The registry's package keeps them in its platform package, beside a copy of the binary.)
const bin = dirname(process.execPath);
const headers = [
  join(bin, '..', 'include', 'node'),
  join(bin, '..', 'node_modules', `node-linux-${process.arch}`, 'include', 'node'),
  '/usr/include/node',
].find((d) => existsSync(join(d, 'node_api.h')));
const compiler = ['cc', 'gcc', 'clang'].find((c) => {
  try {
    execFileSync(c, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});

function giveUp(why: string): never {
  const msg = `build-native: ${why}; tsbuild will spawn mount/umount/mknod/getfattr instead`;
  if (required) {
    console.error(`${msg} (--require was given)`);
    process.exit(1);
  }
  console.error(msg);
  process.exit(0);
}

if (!headers) giveUp(`no node_api.h beside ${process.execPath} or in /usr/include/node`);
if (!compiler) giveUp('no C compiler (cc, gcc or clang): apt-get install gcc libc6-dev');

mkdirSync(dirname(out), { recursive: true });
// Written beside and renamed: a running tsbuild keeps its mapped copy.
const tmp = `${out}.${process.pid}.tmp`;
try {
  execFileSync(compiler, ['-std=gnu11', '-O2', '-Wall', '-Wextra', '-Werror', '-fPIC', '-shared', '-fvisibility=hidden', '-I', headers, '-o', tmp, source], {
    stdio: 'inherit',
  });
  renameSync(tmp, out);
} catch (e) {
  rmSync(tmp, { force: true });
  giveUp(`compiling ${source} failed (${(e as Error).message.split('\n')[0]})`);
}
