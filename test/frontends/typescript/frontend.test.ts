// The typescript frontend runs in child processes: its module hooks need Node's own loader.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { typescriptFrontend } from '../../../frontends/typescript/index.ts';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const runner = join(fixtures, 'run-loader.ts');
const load = (file: string, ...args: string[]) => JSON.parse(execFileSync(process.execPath, [runner, file, ...args], { encoding: 'utf8' }));

const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'tsbuild-ts-frontend-')));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('typescript frontend', () => {
  it('detects .ts files', () => {
    expect(typescriptFrontend.detect!({ filename: 'build.ts', source: new Uint8Array() })).toBe(true);
    expect(typescriptFrontend.detect!({ filename: 'Dockerfile', source: new Uint8Array() })).toBe(false);
  });

  it('calls a default-exported function with build args, platform and local(), and tracks local imports', () => {
    const r = load(join(fixtures, 'targets.ts'), '--build-arg', 'NAME=tsbuild');
    expect(r.head.exec.meta.args).toEqual(['echo', 'hello tsbuild']);
    expect(r.head.exec.meta.env[0]).toBe('ARCH=amd64');
    expect(r.head.exec.mounts[1]).toMatchObject({ dest: '/ctx', readonly: true });
    expect(r.dependencies).toEqual([join(fixtures, 'targets.ts'), join(fixtures, 'lib/helper.ts')]);
  });

  it('builds a named export chosen by target, and { state, image } exports', () => {
    expect(load(join(fixtures, 'targets.ts'), '--target', 'test').head.exec.meta.args).toEqual(['echo', 'test']);
    const withImage = load(join(fixtures, 'targets.ts'), '--target', 'withImage');
    expect(withImage.head.source.identifier).toBe('docker-image://docker.io/library/busybox:latest');
    expect(withImage.image.config).toMatchObject({ Cmd: ['sh'], ExposedPorts: { '80/tcp': {}, '53/udp': {} } });
  });

  it('names the available targets when the target does not exist', () => {
    expect(load(join(fixtures, 'targets.ts'), '--target', 'nope').error).toMatch(/no target "nope": the program exports default, test, withImage/);
  });

  it.each([
    ['throws-in-function.ts', /throws-in-function\.ts:5:15: dir\("relative\/path"\): relative path/],
    ['throws-at-top.ts', /throws-at-top\.ts:4:\d+: boom at the top$/],
    ['syntax-error.ts', /syntax-error\.ts:3: /],
    ['not-a-state.ts', /export "default" is an object with keys hello; expected a State/],
  ])("reports errors in %s at the user's file and line", (file, message) => {
    const r = load(join(fixtures, file));
    expect(r.name).toBe('BuildProgramError');
    expect(r.error).toMatch(message);
    // The location is the user's file, never a file of tsbuild itself.
    expect(r.error).toMatch(new RegExp(`^\\S*fixtures/${file.replace('.', '\\.')}:\\d+`));
  });

  it.each([
    ['does not parse', 'export const word: string = ;\n', /deep\.ts:1: Expression expected$/],
    ['throws at top level', "throw new Error('not yet');\nexport const word = 'x';\n", /deep\.ts:1:\d+: not yet$/],
  ])('a module two imports deep that %s is named in the error, with every file loaded so far', (_what, text, message) => {
    const dir = mkdtempSync(join(tmp, 'deep-'));
    const [file, mid, deep] = ['build.ts', 'mid.ts', 'deep.ts'].map((f) => join(dir, f));
    writeFileSync(file!, "import { image } from 'tsbuild';\nimport { word } from './mid.ts';\nexport default image(word);\n");
    writeFileSync(mid!, "export { word } from './deep.ts';\n");
    writeFileSync(deep!, text);
    const r = load(file!);
    expect(r.name).toBe('BuildProgramError');
    expect(r.error).toMatch(message);
    // Watch mode watches these: the fix to deep.ts must rebuild.
    expect(r.dependencies).toEqual([file, mid, deep]);
  });

  it("resolves 'tsbuild' for a program outside the repository", () => {
    const file = join(tmp, 'build.ts');
    writeFileSync(file, "import { image } from 'tsbuild';\nexport default image('alpine:3.20');\n");
    expect(load(file).head.source.identifier).toBe('docker-image://docker.io/library/alpine:3.20');
  });

  it('sees edits to imported modules when the program is loaded again (watch mode)', () => {
    const file = join(tmp, 'watched.ts');
    const lib = join(tmp, 'lib.ts');
    writeFileSync(lib, "export const word = 'one';\n");
    writeFileSync(file, "import { image } from 'tsbuild';\nimport { word } from './lib.ts';\nexport default image('busybox').run(['echo', word]).root();\n");
    const r = load(file, '--reload-after-edit', lib, "export const word = 'two';\n");
    expect(r.first.head.exec.meta.args).toEqual(['echo', 'one']);
    expect(r.second.head.exec.meta.args).toEqual(['echo', 'two']);
    expect(r.second.dependencies).toEqual([file, lib]);
  });
});
