import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { datasetCacheDir, datasetDir, datasetManifestsDir } from '../../src/datasets/dataset-fetcher';
import { DatasetManifestSchema, parseSha256Sums } from '../../src/datasets/dataset-manifest';

/** The repository root. */
export const REPO_ROOT = resolve(__dirname, '..', '..');

/** The datasets of `test/datasets/`, fetched by `npm run datasets:fetch` (part of `npm test`). */
export type DatasetId = 'cse546-imagenet-100' | 'ilsvrc2012-val-sample' | 'sample-photos';

/** The cached folder of a dataset's files; throws, saying how to fetch it, when it is not there. */
export function datasetFolder(id: DatasetId): string {
  return datasetFiles(id).dir;
}

/** Image files of a dataset, sorted by name, from the cache. */
export function datasetImages(id: DatasetId): string[] {
  const { dir, names } = datasetFiles(id);
  return names
    .filter((name) => /\.(jpe?g|png)$/i.test(name))
    .sort()
    .map((name) => join(dir, name));
}

/** A file committed beside a dataset's manifest (such as ground truth derived from the source). */
export function datasetManifestFile(id: DatasetId, name: string): string {
  return join(datasetManifestsDir(REPO_ROOT), id, name);
}

function datasetFiles(id: DatasetId): { dir: string; names: string[] } {
  const manifestDir = join(datasetManifestsDir(REPO_ROOT), id);
  const manifest = DatasetManifestSchema.parse(
    JSON.parse(readFileSync(join(manifestDir, 'dataset.json'), 'utf8')),
  );
  const sums = join(manifestDir, 'SHA256SUMS');
  const names = parseSha256Sums(readFileSync(sums, 'utf8'), sums).map((file) => file.name);
  const dir = datasetDir(datasetCacheDir(REPO_ROOT), manifest);
  const missing = names.filter((name) => !existsSync(join(dir, name)));
  if (missing.length > 0)
    throw new Error(
      `${missing.length} file(s) of dataset ${id} are not in ${dir} (${missing[0]}…): run npm run datasets:fetch`,
    );
  return { dir, names };
}

/** The default model's label set (committed in models/). */
export function defaultModelLabels(): Set<string> {
  return new Set(
    JSON.parse(readFileSync(join(REPO_ROOT, 'models', 'mobilenet_v2_1.0_224_quant', 'labels.json'), 'utf8')),
  );
}
