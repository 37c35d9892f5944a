// `tsbuild debug dump-llb [FILE|-]`: one JSON object per op (digest, op, inputs, metadata),
// like `buildctl debug dump-llb`. A definition that does not decode or validate is an error.
import { readFile } from 'node:fs/promises';
import { definitionFromBytes, definitionToJSON, DecodeError, DefinitionError } from '../../llb/index.ts';
import { UsageError, UserError } from '../errors.ts';
import type { Command } from '../command.ts';

const usage = `Usage: tsbuild debug dump-llb [FILE|-]

Print an LLB definition (pb.Definition bytes, from FILE or stdin) as JSON lines:
one object per op with its digest, op, inputs and metadata; the terminal op last.
An empty definition (zero bytes: what scratch marshals to) has no ops and prints nothing.

Options:
  -h, --help   show this help`;

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export const command: Command = {
  async run(argv) {
    if (argv.includes('-h') || argv.includes('--help')) {
      process.stdout.write(usage + '\n');
      return 0;
    }
    if (argv.length > 1 || argv.some((a) => a.startsWith('-') && a !== '-')) throw new UsageError(`expected at most one FILE\n\n${usage}`);
    const file = argv[0] ?? '-';
    let bytes: Uint8Array;
    if (file === '-') {
      if (process.stdin.isTTY)
        throw new UsageError(`no definition on stdin; pipe one in (tsbuild debug build-llb build.ts | tsbuild debug dump-llb) or name a FILE\n\n${usage}`);
      bytes = await readStdin();
    } else {
      try {
        bytes = await readFile(file);
      } catch {
        throw new UserError(`cannot read ${file}: no such file`);
      }
    }
    let lines: string[];
    try {
      lines = definitionToJSON(definitionFromBytes(bytes)).map((op) => JSON.stringify(op));
    } catch (err) {
      if (err instanceof DecodeError || err instanceof DefinitionError) throw new UserError(`invalid LLB definition: ${err.message}`);
      throw err;
    }
    process.stdout.write(lines.map((l) => `${l}\n`).join(''));
    return 0;
  },
};
