/**
 * `npm run datasets:fetch`: makes every dataset of `test/datasets/` present and verified in
 * `.cache/datasets/`, the images the tests and benchmarks use. Sources, in order: env
 * `DATASETS_MIRROR`, `../shared/datasets` beside the repository, each file's pinned URL.
 * Exits 1 at the first file no source provides, saying what is missing and how to provide it.
 */
import * as path from 'node:path';
import {
  datasetCacheDir,
  datasetManifestsDir,
  defaultDatasetMirrorDirs,
  fetchDataset,
} from '../src/datasets/dataset-fetcher';
import { loadAllDatasets } from '../src/datasets/dataset-manifest';
import { findRepoRoot } from '../src/models/model-sources';

async function main(): Promise<void> {
  const repoRoot = findRepoRoot(__dirname);
  const mirrorDirs = defaultDatasetMirrorDirs(repoRoot, process.env);
  console.log(`dataset mirrors: ${mirrorDirs.join(', ') || '(none)'}`);
  for (const dataset of await loadAllDatasets(datasetManifestsDir(repoRoot))) {
    const fetched = await fetchDataset(dataset, { cacheDir: datasetCacheDir(repoRoot), mirrorDirs });
    const count = (origin: string) => fetched.files.filter((f) => f.origin === origin).length;
    const from = [...new Set(fetched.files.map((f) => f.from && path.dirname(f.from)).filter(Boolean))];
    console.log(
      `${dataset.id}: ${fetched.files.length} files in ${path.relative(repoRoot, fetched.dir)}, sha256 ok ` +
        `(${count('present')} present, ${count('mirror')} copied, ${count('download')} downloaded)` +
        (from.length ? ` from ${from.join(', ')}` : ''),
    );
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exitCode = 1;
});
