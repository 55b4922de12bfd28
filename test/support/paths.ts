import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root, and the shared datasets beside it (as on a fresh clone with ../shared). */
export const REPO_ROOT = resolve(__dirname, '..', '..');
export const DATASETS = resolve(REPO_ROOT, '..', 'shared', 'datasets');

/** Image files of a shared dataset, sorted. */
export function datasetImages(name: 'cse546-imagenet-100' | 'ilsvrc2012-val-sample'): string[] {
  const dir = name === 'ilsvrc2012-val-sample' ? join(DATASETS, name, 'images') : join(DATASETS, name);
  return readdirSync(dir)
    .filter((file) => /\.(jpe?g|png)$/i.test(file))
    .sort()
    .map((file) => join(dir, file));
}

/** The default model's label set, as fetched into models/. */
export function defaultModelLabels(): Set<string> {
  return new Set(
    JSON.parse(readFileSync(join(REPO_ROOT, 'models', 'mobilenet_v2_1.0_224_quant', 'labels.json'), 'utf8')),
  );
}
