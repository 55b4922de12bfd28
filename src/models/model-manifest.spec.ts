import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_MODEL_ID, loadAllManifests, loadManifest, loadManifestFile } from './model-manifest.loader';
import { ModelManifest, ModelManifestSchema } from './model-manifest.schema';
import { ModelManifestError, UnknownModelError } from './model.errors';

const manifestsDir = path.resolve(__dirname, '..', '..', 'models');

describe('model manifests', () => {
  let mobilenet: ModelManifest;
  let scratch: string;

  beforeAll(async () => {
    mobilenet = await loadManifest(manifestsDir, DEFAULT_MODEL_ID);
  });
  beforeEach(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'manifest-'));
  });
  afterEach(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('validates every manifest in models/, including the default and ResNet-18', async () => {
    const ids = (await loadAllManifests(manifestsDir)).map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining([DEFAULT_MODEL_ID, 'resnet18-v1-7']));
  });

  it('rejects a sha256 that is not 64 lower-case hex characters', () => {
    const bad = { ...mobilenet, model: { ...mobilenet.model, sha256: 'ABC' } };
    expect(ModelManifestSchema.safeParse(bad).success).toBe(false);
  });

  it('rejects a mirror path that climbs out of the mirror directory', () => {
    const bad = { ...mobilenet, model: { ...mobilenet.model, mirrorPath: '../etc/passwd' } };
    expect(ModelManifestSchema.safeParse(bad).success).toBe(false);
  });

  it('rejects unknown keys, so a misspelt field is not silently ignored', () => {
    const bad = { ...mobilenet, input: { ...mobilenet.input, meen: [0, 0, 0] } };
    expect(ModelManifestSchema.safeParse(bad).success).toBe(false);
  });

  it('rejects a crop larger than the resized shorter side', () => {
    const bad = {
      ...mobilenet,
      input: { ...mobilenet.input, resize: { ...mobilenet.input.resize, shorterSide: 200 } },
    };
    expect(ModelManifestSchema.safeParse(bad).success).toBe(false);
  });

  it('rejects a manifest whose id differs from its file name, naming the file', async () => {
    const file = path.join(scratch, 'other-name.json');
    await writeFile(file, JSON.stringify(mobilenet));
    await expect(loadManifestFile(file)).rejects.toThrow(ModelManifestError);
    await expect(loadManifestFile(file)).rejects.toThrow(/other-name\.json.*does not match the file name/);
  });

  it('reports an unknown model id together with the ids that exist', async () => {
    const attempt = loadManifest(manifestsDir, 'no-such-model');
    await expect(attempt).rejects.toBeInstanceOf(UnknownModelError);
    await expect(attempt).rejects.toThrow(new RegExp(`no-such-model.*${DEFAULT_MODEL_ID}`));
  });
});
