// `rewrite-timestamp=true`: file times in the build's own layers are clamped to SOURCE_DATE_EPOCH,
// so that a rebuild at another time gives the same layer bytes. Base image layers are left alone
// (their blobs keep their digests).
import { PassThrough, type Readable } from 'node:stream';
import type { Extract, Header, Pack } from 'tar-stream';
import type { ContentStore } from '../content-store.ts';
import { tarLayerSource, type LayerSource } from '../layer-source.ts';

/** The same tar with every mtime later than `epoch` (seconds) set to `epoch`. */
export function clampTarTimes(tar: Readable, epoch: number): Readable {
  const out = new PassThrough();
  // tar-stream loads only when a tar is rewritten (rewrite-timestamp): most builds never do.
  import('tar-stream').then(
    ({ extract, pack }) => clampInto(tar, epoch, extract(), pack(), out),
    (err: unknown) => out.destroy(err as Error),
  );
  return out;
}

function clampInto(tar: Readable, epoch: number, extract: Extract, pack: Pack, out: PassThrough): void {
  const limit = epoch * 1000;
  pack.pipe(out);
  extract.on('entry', (header, stream, next) => {
    const h: Header = { ...header };
    if (h.mtime && h.mtime.getTime() > limit) h.mtime = new Date(limit);
    if (h.pax) {
      // PAX times would override the clamped header time on extraction.
      const pax: Record<string, string> = { ...(h.pax as Record<string, string>) };
      for (const k of ['mtime', 'atime', 'ctime']) {
        if (pax[k] !== undefined && Number(pax[k]) * 1000 > limit) pax[k] = String(epoch);
      }
      h.pax = pax;
    }
    const entry = pack.entry(h, (err) => (err ? out.destroy(err) : next()));
    stream.pipe(entry);
  });
  extract.on('finish', () => pack.finalize());
  extract.on('error', (err) => out.destroy(err));
  tar.on('error', (err) => out.destroy(err));
  tar.pipe(extract);
}

export function clampedLayerSource(store: ContentStore, layer: LayerSource, epoch: number): LayerSource {
  return tarLayerSource(store, {
    openTar: () => clampTarTimes(layer.openTar(), epoch),
    ...(layer.description !== undefined ? { description: layer.description } : {}),
  });
}
