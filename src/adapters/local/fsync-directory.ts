import { open } from 'node:fs/promises';

/** Makes the entries made in `directory` (creations, renames, removals) durable. */
export async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
