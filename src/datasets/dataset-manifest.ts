import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { fileName, mirrorPath, sha256Hex } from '../models/model-manifest.schema';

/**
 * A dataset manifest (`test/datasets/<id>/dataset.json`): where its files come from. The files and
 * their sha256 are listed in `SHA256SUMS` beside it, in the format `sha256sum -c` reads.
 */
export const DatasetManifestSchema = z.strictObject({
  /** Also the manifest's folder name and the dataset's folder in a mirror and in the cache. */
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" and "-"'),
  description: z.string().min(1),
  /** Folder inside the dataset that holds the listed files ('' for the dataset's own folder). */
  folder: z.union([z.literal(''), mirrorPath]),
  /** The pinned public URL of each file, `{file}` standing for its name. */
  urlTemplate: z
    .url({ protocol: /^https?$/ })
    .refine((url) => url.includes('{file}'), 'a URL with a {file} placeholder'),
  licence: z.string().min(1),
  provenance: z.string().min(1),
});

/** One file of a dataset: its name (in `folder`) and sha256. */
export interface DatasetFile {
  name: string;
  sha256: string;
}

/** A validated manifest with its checksum list. */
export type Dataset = z.infer<typeof DatasetManifestSchema> & {
  /** The folder holding `dataset.json` and `SHA256SUMS`. */
  manifestDir: string;
  files: DatasetFile[];
};

/** A dataset manifest or checksum list that is missing or malformed. */
export class DatasetManifestError extends Error {
  constructor(where: string, reason: string) {
    super(`Dataset manifest ${where} is invalid: ${reason}`);
    this.name = 'DatasetManifestError';
  }
}

/** Parses `SHA256SUMS` lines (`<sha256>  <name>`, or `*<name>` in binary mode); names are plain file names. */
export function parseSha256Sums(text: string, where: string): DatasetFile[] {
  const files: DatasetFile[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    const name = match?.[2];
    if (!match || !sha256Hex.safeParse(match[1]).success || !fileName.safeParse(name).success)
      throw new DatasetManifestError(where, `line ${i + 1} is not "<sha256>  <file name>": ${line}`);
    files.push({ name: name!, sha256: match[1] });
  }
  if (files.length === 0) throw new DatasetManifestError(where, 'lists no files');
  return files;
}

/** Reads `<manifestDir>/dataset.json` and `<manifestDir>/SHA256SUMS`; the id must be the folder's name. */
export async function loadDataset(manifestDir: string): Promise<Dataset> {
  const manifestPath = path.join(manifestDir, 'dataset.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch (error) {
    throw new DatasetManifestError(manifestPath, (error as Error).message);
  }
  const parsed = DatasetManifestSchema.safeParse(raw);
  if (!parsed.success) throw new DatasetManifestError(manifestPath, z.prettifyError(parsed.error));
  if (parsed.data.id !== path.basename(manifestDir))
    throw new DatasetManifestError(manifestPath, `id "${parsed.data.id}" does not match its folder`);
  const sumsPath = path.join(manifestDir, 'SHA256SUMS');
  const sums = await readFile(sumsPath, 'utf8').catch((error: Error) => {
    throw new DatasetManifestError(sumsPath, error.message);
  });
  return { ...parsed.data, manifestDir, files: parseSha256Sums(sums, sumsPath) };
}

/** Every dataset under `datasetsDir` (one folder each), sorted by id. */
export async function loadAllDatasets(datasetsDir: string): Promise<Dataset[]> {
  const entries = await readdir(datasetsDir, { withFileTypes: true });
  const dirs = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  return Promise.all(dirs.sort().map((dir) => loadDataset(path.join(datasetsDir, dir))));
}
