import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { ModelFile, ModelManifest } from './model-manifest.schema';
import { defaultMirrorDirs } from './model-sources';
import { ModelFetchError } from './model.errors';
import { FetchedFile, fetchVerifiedFile, NoSourceError } from './verified-fetch';

export type { FetchedFile } from './verified-fetch';

/** Options of {@link fetchModel}. */
export interface FetchModelOptions {
  /** Repository root; files land in `<repoRoot>/models/<id>/` unless `destDir` is given. */
  repoRoot: string;
  /** Where to write the files (default `<repoRoot>/models/<manifest.id>`). */
  destDir?: string;
  /** Mirror directories tried in order before the URLs (default {@link defaultMirrorDirs} of `process.env`). */
  mirrorDirs?: readonly string[];
  /** Abort a download when no bytes arrive for this long, in ms (default 30 000). */
  downloadIdleTimeoutMs?: number;
}

/** A model whose files are on disk and verified. */
export interface FetchedModel {
  manifest: ModelManifest;
  modelPath: string;
  labelsPath: string;
  model: FetchedFile;
  labels: FetchedFile;
}

/**
 * Makes the model's files (weights and labels) present and verified in the destination folder. For
 * each file: keep it if its sha256 already matches; otherwise try each mirror directory, then each
 * manifest URL, stopping at the first source whose bytes match the manifest.
 *
 * Guarantees: a file appears at its final path only with the manifest's size and sha256 (written to a
 * temporary file, then renamed); a wrong file found at the destination is removed.
 *
 * @throws ModelFetchError listing every source tried and why each failed.
 */
export async function fetchModel(manifest: ModelManifest, options: FetchModelOptions): Promise<FetchedModel> {
  const destDir = options.destDir ?? path.join(options.repoRoot, 'models', manifest.id);
  const mirrorDirs = options.mirrorDirs ?? defaultMirrorDirs(options.repoRoot, process.env);
  await mkdir(destDir, { recursive: true });
  const fetchOne = (file: ModelFile) =>
    fetchFile(manifest.id, file, destDir, mirrorDirs, options.downloadIdleTimeoutMs);
  const model = await fetchOne(manifest.model);
  const labels = await fetchOne(manifest.labels);
  return { manifest, modelPath: model.path, labelsPath: labels.path, model, labels };
}

async function fetchFile(
  modelId: string,
  file: ModelFile,
  destDir: string,
  mirrorDirs: readonly string[],
  downloadIdleTimeoutMs: number | undefined,
): Promise<FetchedFile> {
  try {
    return await fetchVerifiedFile({
      destPath: path.join(destDir, file.file),
      expected: file,
      mirrorDirs,
      mirrorPath: file.mirrorPath,
      urls: file.urls,
      downloadIdleTimeoutMs,
    });
  } catch (error) {
    if (error instanceof NoSourceError) throw new ModelFetchError(modelId, file.file, error.attempts);
    throw error;
  }
}
