import { open, stat } from 'node:fs/promises';

/** Whether `error` says the path (or a folder on it) does not exist. */
export function isMissingPath(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Makes the entries made in `directory` (creations, renames, removals) durable. */
export async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** When the file was last written, ms since the epoch; +Infinity when it is already gone. */
export async function lastWritten(path: string): Promise<number> {
  try {
    return (await stat(path)).mtimeMs;
  } catch (error) {
    if (isMissingPath(error)) return Number.POSITIVE_INFINITY;
    throw error;
  }
}
