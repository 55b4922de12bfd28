import * as path from 'node:path';
import { fetchModel } from '../models/model-fetcher';
import { DEFAULT_MODEL_ID, loadManifest } from '../models/model-manifest.loader';
import { OnnxClassifier, OnnxClassifierOptions } from './onnx-classifier';

/** Options of {@link createClassifier}. */
export interface CreateClassifierOptions extends OnnxClassifierOptions {
  /** Repository root: manifests are read from `<repoRoot>/models/`, files fetched into `models/<id>/`. */
  repoRoot: string;
  /** Which manifest to use (default {@link DEFAULT_MODEL_ID}). */
  modelId?: string;
  /** Mirror directories to fetch from (default: `MODEL_MIRROR`, then `../shared/models`). */
  mirrorDirs?: readonly string[];
}

/**
 * The one way to get a ready classifier: reads the model's manifest, makes its files present and
 * verified (see {@link fetchModel}), then loads the session.
 *
 * @throws UnknownModelError, ModelManifestError, ModelFetchError or ModelContractError.
 */
export async function createClassifier(options: CreateClassifierOptions): Promise<OnnxClassifier> {
  const { repoRoot, modelId = DEFAULT_MODEL_ID, mirrorDirs, ...classifierOptions } = options;
  const manifest = await loadManifest(path.join(repoRoot, 'models'), modelId);
  const files = await fetchModel(manifest, { repoRoot, mirrorDirs });
  return OnnxClassifier.load(files, classifierOptions);
}
