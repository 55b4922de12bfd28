import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';

/** The file names a folder's images have: what the service decodes. */
const IMAGE_EXTENSIONS = new Set([
  '.jpg',
  '.jpeg',
  '.png',
  '.gif',
  '.webp',
  '.tif',
  '.tiff',
  '.avif',
  '.heic',
]);

/**
 * The images to classify: each file named, and the images in each folder named (recursively, by
 * extension), in name order, each once.
 * @throws Error naming an argument that is neither a file nor a folder.
 */
export async function imageFiles(args: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  for (const arg of args) {
    const path = resolve(arg);
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new Error(`${arg}: no such file or folder`);
    if (info.isDirectory()) for (const file of await imagesIn(path)) found.add(file);
    else found.add(path);
  }
  return [...found];
}

async function imagesIn(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) files.push(...(await imagesIn(path)));
    else if (entry.isFile() && IMAGE_EXTENSIONS.has(extname(entry.name).toLowerCase())) files.push(path);
  }
  return files;
}

/**
 * The `Idempotency-Key` of one file's upload: a digest of its absolute path and bytes, so that a
 * run started again after an interruption gets the jobs the first run created instead of new ones.
 */
export async function uploadKey(path: string): Promise<string> {
  const hash = createHash('sha256')
    .update(path)
    .update('\0')
    .update(await readFile(path));
  return `eir-cli-${hash.digest('hex')}`;
}
