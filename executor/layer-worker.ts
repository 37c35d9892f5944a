// Worker side of layer-writer.ts: writes one overlay layer's tar (its upper directory) into the
// content store as an uncompressed blob, with the listing and link an export looks for.
import { parentPort } from 'node:worker_threads';
import { ContentStore, ingestLayerChanges, overlayUpperChanges } from '../oci/index.ts';

const stores = new Map<string, ContentStore>();

parentPort!.on('message', (job: { id: number; dir: string; content: string }) => {
  let store = stores.get(job.content);
  if (!store) stores.set(job.content, (store = new ContentStore(job.content)));
  ingestLayerChanges(store, overlayUpperChanges(job.dir))
    .then(({ diffID }) => parentPort!.postMessage({ id: job.id, diffID }))
    .catch((e: unknown) => parentPort!.postMessage({ id: job.id, error: (e as Error).message }));
});
