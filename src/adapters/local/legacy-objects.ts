import { rm, stat } from 'node:fs/promises';
import { ObjectStore } from '../../ports/object-store.port';
import { FsObjectStore } from './fs-object-store';

/** Objects up to this size are read whole while moved. */
const LARGEST_READ_WHOLE = 4 * 1024 * 1024;

/**
 * Moves the objects that earlier versions kept as files (one per object, under `folder`) into
 * `into`, then removes the folder; the control plane does this once, at its first start on an
 * older data folder, before any worker runs. Interrupted, it starts over at the next start:
 * copying an object again writes the same bytes. Resolves with how many objects it moved.
 */
export async function moveLegacyObjects(folder: string, into: ObjectStore): Promise<number> {
  const exists = await stat(folder).then(
    (stats) => stats.isDirectory(),
    () => false,
  );
  if (!exists) return 0;
  const legacy = new FsObjectStore({ rootDir: folder, durable: false });
  let moved = 0;
  for await (const key of legacy.list('')) {
    const info = await legacy.head(key);
    if (!info) continue;
    // Small ones as buffers, which the store may keep in its database; the others streamed.
    const body = info.size <= LARGEST_READ_WHOLE ? await legacy.get(key) : await legacy.getStream(key);
    await into.put(key, body, { contentType: info.contentType });
    moved++;
  }
  await rm(folder, { recursive: true, force: true });
  return moved;
}
