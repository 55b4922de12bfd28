import { createReadStream, existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { downloadVerified } from './http-download';
import { ModelFile, ModelManifest } from './model-manifest.schema';
import { defaultMirrorDirs } from './model-sources';
import { FetchAttempt, ModelFetchError } from './model.errors';
import { checkContent, writeVerified } from './verified-write';

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

/** Where one verified file is and how it got there. */
export interface FetchedFile {
  path: string;
  /** `present`: already there with the right sha256, nothing was copied. */
  origin: 'present' | 'mirror' | 'download';
  /** The mirror file or URL it came from (absent when `present`). */
  from?: string;
  /** A file with the wrong content was at `path` and has been removed. */
  replacedInvalid: boolean;
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
  idleTimeoutMs: number | undefined,
): Promise<FetchedFile> {
  const destPath = path.join(destDir, file.file);
  const existing = await checkContent(destPath, file);
  if (existing === 'valid') return { path: destPath, origin: 'present', replacedInvalid: false };
  const replacedInvalid = existing === 'invalid';
  if (replacedInvalid) await rm(destPath, { force: true });

  const attempts: FetchAttempt[] = [];
  for (const dir of mirrorDirs) {
    const source = path.join(dir, file.mirrorPath);
    if (!existsSync(dir)) {
      attempts.push({ source, failure: `mirror directory ${dir} does not exist` });
      continue;
    }
    try {
      await writeVerified(createReadStream(source), destPath, file);
      return { path: destPath, origin: 'mirror', from: source, replacedInvalid };
    } catch (error) {
      attempts.push({ source, failure: describe(error) });
    }
  }
  for (const url of file.urls) {
    try {
      await downloadVerified(url, destPath, file, { idleTimeoutMs });
      return { path: destPath, origin: 'download', from: url, replacedInvalid };
    } catch (error) {
      attempts.push({ source: url, failure: describe(error) });
    }
  }
  throw new ModelFetchError(modelId, file.file, attempts);
}

function describe(error: unknown): string {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'not found';
  // Duck-typed: errors raised inside fetch() may come from another realm, where instanceof fails.
  const message = (error as Error)?.message ?? String(error);
  // fetch() reports every network failure as "fetch failed"; the useful part is the cause.
  const cause = (error as { cause?: { message?: unknown } })?.cause?.message;
  return typeof cause === 'string' ? `${message} (${cause})` : message;
}
