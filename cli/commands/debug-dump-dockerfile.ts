// `tsbuild debug dump-dockerfile [FILE|-]`: prints a Dockerfile's parse tree in BuildKit's
// AST dump format (one S-expression per instruction).
import { readFile } from 'node:fs/promises';
import { DockerfileError, dumpAst, parseDockerfile } from '../../frontends/index.ts';

async function readInput(path: string): Promise<Uint8Array> {
  if (path !== '-') return readFile(path);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function dumpDockerfile(argv: string[]): Promise<number> {
  const files = argv.filter((a) => a !== '--');
  if (files.length !== 1) {
    process.stderr.write('usage: tsbuild debug dump-dockerfile FILE   (use - for stdin)\n');
    return 2;
  }
  const path = files[0] as string;
  let bytes: Uint8Array;
  try {
    bytes = await readInput(path);
  } catch (err) {
    process.stderr.write(`error: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}\n`);
    return 1;
  }
  try {
    const ast = parseDockerfile(new TextDecoder().decode(bytes), path === '-' ? 'Dockerfile' : path);
    process.stdout.write(dumpAst(ast) + '\n');
    return 0;
  } catch (err) {
    if (err instanceof DockerfileError) {
      process.stderr.write(`error: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
