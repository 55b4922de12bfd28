import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { ModelManifest, ModelManifestSchema } from './model-manifest.schema';
import { ModelManifestError, UnknownModelError } from './model.errors';

/** The model used when none is selected (env `MODEL`). */
export const DEFAULT_MODEL_ID = 'mobilenet_v2_1.0_224_quant';

/** Reads and validates one manifest file. Its `id` must equal its file name without `.json`. */
export async function loadManifestFile(manifestPath: string): Promise<ModelManifest> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch (error) {
    throw new ModelManifestError(manifestPath, (error as Error).message, { cause: error });
  }
  const parsed = ModelManifestSchema.safeParse(raw);
  if (!parsed.success) throw new ModelManifestError(manifestPath, z.prettifyError(parsed.error));
  const expectedId = path.basename(manifestPath, '.json');
  if (parsed.data.id !== expectedId) {
    throw new ModelManifestError(manifestPath, `id "${parsed.data.id}" does not match the file name`);
  }
  return parsed.data;
}

/** Every `*.json` manifest directly in `manifestsDir`, validated, sorted by id. */
export async function loadAllManifests(manifestsDir: string): Promise<ModelManifest[]> {
  const names = (await readdir(manifestsDir)).filter((name) => name.endsWith('.json')).sort();
  return Promise.all(names.map((name) => loadManifestFile(path.join(manifestsDir, name))));
}

/** The manifest for `modelId` in `manifestsDir`; {@link UnknownModelError} lists the known ids if absent. */
export async function loadManifest(manifestsDir: string, modelId: string): Promise<ModelManifest> {
  const names = (await readdir(manifestsDir)).filter((name) => name.endsWith('.json'));
  const knownIds = names.map((name) => name.slice(0, -'.json'.length)).sort();
  if (!knownIds.includes(modelId)) throw new UnknownModelError(modelId, knownIds);
  return loadManifestFile(path.join(manifestsDir, `${modelId}.json`));
}
