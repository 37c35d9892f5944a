// An OCI layout tar (what `-o type=oci`, `type=docker` and `skopeo copy oci-archive:` write),
// unpacked into a directory so it can be read as a layout. Only the names a layout has are
// written (index.json, oci-layout, blobs/<alg>/<hex>, docker's manifest.json and repositories);
// anything else, and any path that would leave the directory, is skipped.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { InvalidImageError } from './errors.ts';
import { readTar } from './layer/index.ts';

const LAYOUT_NAME = /^(index\.json|oci-layout|manifest\.json|repositories|blobs\/[a-z0-9]+\/[a-f0-9]{32,128})$/;

export async function unpackLayoutArchive(file: string, dir: string): Promise<void> {
  let sawIndex = false;
  try {
    for await (const m of readTar(createReadStream(file))) {
      const name = m.header.name.replace(/^\.\//, '');
      if (m.header.type !== 'file' || !LAYOUT_NAME.test(name)) continue;
      if (name === 'index.json') sawIndex = true;
      const dest = join(dir, name);
      await mkdir(dirname(dest), { recursive: true });
      if (m.header.size === 0) await writeFile(dest, '');
      else await pipeline(Readable.from(m.body()), createWriteStream(dest));
    }
  } catch (err) {
    throw new InvalidImageError(`archive ${file}`, `not a readable tar (${(err as Error).message})`);
  }
  if (!sawIndex) throw new InvalidImageError(`archive ${file}`, 'no index.json: not an OCI layout archive (docker save archives of other tools are not read)');
}
