import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { mirrorDirsFor } from '../models/model-sources';
import type { FetchAttempt } from '../models/model.errors';
import { FetchedFile, fetchVerifiedFile, NoSourceError } from '../models/verified-fetch';
import { Dataset } from './dataset-manifest';

/** Options of {@link fetchDataset}. */
export interface FetchDatasetOptions {
  /** The cache: files land in `<cacheDir>/<id>/<folder>/<name>`. */
  cacheDir: string;
  /** Mirror directories laid out like `../shared/datasets` (`<id>/<folder>/<name>`), tried in order before the URLs. */
  mirrorDirs: readonly string[];
  /** Files fetched at the same time (default 8). */
  concurrency?: number;
  /** Abort a download when no bytes arrive for this long, in ms (default 30 000). */
  downloadIdleTimeoutMs?: number;
}

/** A dataset whose every file is in the cache and verified. */
export interface FetchedDataset {
  dataset: Dataset;
  /** The cache folder holding the files. */
  dir: string;
  /** One entry per file, in the order of `SHA256SUMS`. */
  files: FetchedFile[];
}

/**
 * A file of a dataset that no source provided with its sha256. The message names the file, every
 * source tried, and how to provide the dataset.
 */
export class DatasetFetchError extends Error {
  constructor(
    readonly datasetId: string,
    readonly file: string,
    readonly attempts: readonly FetchAttempt[],
    readonly total: number,
  ) {
    const tried = attempts.map((a) => `\n  - ${a.source}: ${a.failure}`).join('');
    super(
      `Could not get ${file} of dataset "${datasetId}" (${total} files). Tried:${tried}\n` +
        'Set DATASETS_MIRROR to a folder laid out like ../shared/datasets (<dataset>/<file>), ' +
        "or allow access to the dataset's URLs; fetched files are kept in .cache/datasets.",
    );
    this.name = 'DatasetFetchError';
  }
}

/** Where the datasets' manifests are, in the repository. */
export const datasetManifestsDir = (repoRoot: string) => path.join(repoRoot, 'test', 'datasets');

/** The cache of fetched dataset files (git-ignored). */
export const datasetCacheDir = (repoRoot: string) => path.join(repoRoot, '.cache', 'datasets');

/** Mirror directories for datasets: `DATASETS_MIRROR` when set, then `../shared/datasets` when it exists. */
export const defaultDatasetMirrorDirs = (repoRoot: string, env: NodeJS.ProcessEnv) =>
  mirrorDirsFor(repoRoot, env.DATASETS_MIRROR, 'datasets');

/** The cache folder of a dataset's files. */
export function datasetDir(cacheDir: string, dataset: Pick<Dataset, 'id' | 'folder'>): string {
  return path.join(cacheDir, dataset.id, dataset.folder);
}

/**
 * Makes every file of the dataset present and verified in the cache: each one is kept if its
 * sha256 already matches, else copied from the first mirror that has it, else downloaded from its
 * pinned URL (see {@link fetchVerifiedFile}). Stops at the first file no source provides, so an
 * offline machine without a mirror fails at once.
 *
 * @throws DatasetFetchError naming that file and every source tried.
 */
export async function fetchDataset(dataset: Dataset, options: FetchDatasetOptions): Promise<FetchedDataset> {
  const dir = datasetDir(options.cacheDir, dataset);
  await mkdir(dir, { recursive: true });
  const results: FetchedFile[] = new Array(dataset.files.length);
  let next = 0;
  let failure: DatasetFetchError | undefined;
  const fetchNext = async (): Promise<void> => {
    while (!failure && next < dataset.files.length) {
      const index = next++;
      const { name, sha256 } = dataset.files[index];
      try {
        results[index] = await fetchVerifiedFile({
          destPath: path.join(dir, name),
          expected: { sha256 },
          mirrorDirs: options.mirrorDirs,
          mirrorPath: path.join(dataset.id, dataset.folder, name),
          urls: [dataset.urlTemplate.replace('{file}', encodeURIComponent(name))],
          downloadIdleTimeoutMs: options.downloadIdleTimeoutMs,
        });
      } catch (error) {
        if (!(error instanceof NoSourceError)) throw error;
        failure ??= new DatasetFetchError(dataset.id, name, error.attempts, dataset.files.length);
      }
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? 8, dataset.files.length));
  await Promise.all(Array.from({ length: workers }, fetchNext));
  if (failure) throw failure;
  return { dataset, dir, files: results };
}
