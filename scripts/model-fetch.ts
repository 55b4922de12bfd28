/**
 * `npm run model:fetch [-- --all | -- --model <id>]`: makes a model's weights and labels present and
 * verified in `models/<id>/`. The model is `--model`, else env `MODEL`, else the default model.
 * Sources, in order: env `MODEL_MIRROR`, `../shared/models` beside the repository, the manifest's URLs.
 * Exits 1 if any selected model could not be fetched.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { fetchModel, FetchedFile } from '../src/models/model-fetcher';
import { DEFAULT_MODEL_ID, loadAllManifests, loadManifest } from '../src/models/model-manifest.loader';
import { defaultMirrorDirs, findRepoRoot } from '../src/models/model-sources';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { all: { type: 'boolean', default: false }, model: { type: 'string' } },
  });
  const repoRoot = findRepoRoot(__dirname);
  const manifestsDir = path.join(repoRoot, 'models');
  const manifests = values.all
    ? await loadAllManifests(manifestsDir)
    : [await loadManifest(manifestsDir, values.model ?? process.env.MODEL ?? DEFAULT_MODEL_ID)];
  const mirrorDirs = defaultMirrorDirs(repoRoot, process.env);
  console.log(`mirrors: ${mirrorDirs.join(', ') || '(none)'}`);

  let failures = 0;
  for (const manifest of manifests) {
    try {
      const fetched = await fetchModel(manifest, { repoRoot, mirrorDirs });
      console.log(`${manifest.id}:`);
      for (const file of [fetched.model, fetched.labels]) console.log(`  ${describe(repoRoot, file)}`);
    } catch (error) {
      failures++;
      console.error(`${manifest.id}: ${(error as Error).message}`);
    }
  }
  return failures ? 1 : 0;
}

function describe(repoRoot: string, file: FetchedFile): string {
  const where = path.relative(repoRoot, file.path);
  const replaced = file.replacedInvalid ? ' (replaced a file with the wrong sha256)' : '';
  return file.origin === 'present'
    ? `${where} already present, sha256 ok`
    : `${where} ← ${file.from}, sha256 ok${replaced}`;
}

main().then(
  (code) => (process.exitCode = code),
  (error: Error) => {
    console.error(error.message);
    process.exitCode = 1;
  },
);
