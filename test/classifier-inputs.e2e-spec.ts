import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runInThisContext } from 'node:vm';
import sharp from 'sharp';
import { ModelContractError, UndecodableImageError } from '../src/classifier/classifier.errors';
import type { OnnxClassifier } from '../src/classifier/onnx-classifier';
import { FetchedModel, fetchModel } from '../src/models/model-fetcher';
import { DEFAULT_MODEL_ID, loadManifest } from '../src/models/model-manifest.loader';
import { datasetFolder } from './support/paths';

// See classifier-accuracy.e2e-spec.ts: jest's vm context has its own Float32Array, which
// onnxruntime-common's instanceof checks reject, so the main realm's is shared before it loads.
globalThis.Float32Array = runInThisContext('Float32Array') as Float32ArrayConstructor;

const repoRoot = path.resolve(__dirname, '..');
const photos = datasetFolder('sample-photos');

describe(`classifier (${DEFAULT_MODEL_ID}) on real and broken inputs`, () => {
  let model: FetchedModel;
  let classifier: OnnxClassifier;
  let load: typeof OnnxClassifier.load;

  beforeAll(async () => {
    const { OnnxClassifier } = await import('../src/classifier/onnx-classifier');
    load = OnnxClassifier.load.bind(OnnxClassifier);
    const manifest = await loadManifest(path.join(repoRoot, 'models'), DEFAULT_MODEL_ID);
    model = await fetchModel(manifest, { repoRoot });
    classifier = await load(model, { intraOpNumThreads: 2 });
  });

  afterAll(async () => {
    await classifier?.release();
  });

  // In its own process: jest's process.env is a copy, which the native library never reads.
  function loadInChild(telemetrySetting: string | undefined): { pid: number; env: string } {
    const factory = path.join(repoRoot, 'dist', 'src', 'classifier', 'classifier.factory.js');
    const script = `require(${JSON.stringify(factory)})
      .createClassifier({ repoRoot: ${JSON.stringify(repoRoot)} })
      .then((classifier) => classifier.release())
      .then(() => console.log(JSON.stringify({ pid: process.pid, env: process.env.ORT_DISABLE_TELEMETRY })));`;
    const child = spawnSync(process.execPath, ['-e', script], {
      encoding: 'utf8',
      env: { ...process.env, ORT_DISABLE_TELEMETRY: telemetrySetting },
      timeout: 60_000,
    });
    expect(child.status).toBe(0);
    return JSON.parse(child.stdout) as { pid: number; env: string };
  }

  it("turns ONNX Runtime's telemetry off, which leaves no log file behind", () => {
    const { pid, env } = loadInChild(undefined);
    expect(env).toBe('1');
    const logs = [...new Set([tmpdir(), '/tmp'])].map((folder) => path.join(folder, `mat-debug-${pid}.log`));
    expect(logs.filter((log) => existsSync(log))).toEqual([]);
  });

  // With telemetry on, whether the runtime writes its log depends on the machine (it did on one
  // and not on another), so this checks only that the environment's choice is kept.
  it('keeps the telemetry setting the environment chose (ORT_DISABLE_TELEMETRY=0)', () => {
    const { pid, env } = loadInChild('0');
    expect(env).toBe('0');
    for (const folder of new Set([tmpdir(), '/tmp']))
      rmSync(path.join(folder, `mat-debug-${pid}.log`), { force: true });
  });

  it('names the photos as their PROVENANCE records: parrot → macaw, hot_dog → hot dog', async () => {
    const [parrot, hotDog] = await Promise.all(
      ['parrot.jpg', 'hot_dog.jpg'].map(async (file) =>
        classifier.classify(await readFile(path.join(photos, file))),
      ),
    );

    expect(parrot[0]).toMatchObject({ index: 88, label: 'macaw' });
    expect(parrot[0].probability).toBeGreaterThan(0.99);
    expect(hotDog[0]).toMatchObject({ label: 'hot dog' });
    expect(hotDog[0].probability).toBeGreaterThan(0.95);
  });

  it.each(['avif', 'webp', 'png'] as const)('names the parrot in %s as in JPEG: macaw', async (format) => {
    const converted = await sharp(await readFile(path.join(photos, 'parrot.jpg')))
      [format]()
      .toBuffer();
    const [best] = await classifier.classify(converted);
    expect(best).toMatchObject({ index: 88, label: 'macaw' });
  });

  it('returns five predictions, most probable first, with probabilities from a softmax', async () => {
    const predictions = await classifier.classify(await readFile(path.join(photos, 'cat_720p.jpg')));

    expect(predictions).toHaveLength(5);
    const probabilities = predictions.map((p) => p.probability);
    expect([...probabilities].sort((a, b) => b - a)).toEqual(probabilities);
    expect(probabilities.reduce((a, b) => a + b)).toBeLessThanOrEqual(1 + 1e-9);
    expect(probabilities.every((p) => p > 0)).toBe(true);
  });

  it('rejects bytes that are not an image with UndecodableImageError, not a crash', async () => {
    await expect(classifier.classify(Buffer.from('GIF89a but not really'))).rejects.toBeInstanceOf(
      UndecodableImageError,
    );
    await expect(classifier.classify(Buffer.alloc(0))).rejects.toBeInstanceOf(UndecodableImageError);
  });

  it('classifies the good images of a batch that also holds an undecodable one', async () => {
    const parrot = await readFile(path.join(photos, 'parrot.jpg'));
    const truncated = parrot.subarray(0, 2000);

    const outcomes = await classifier.classifyBatch([parrot, truncated, parrot]);

    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true]);
    expect(outcomes[1]).toMatchObject({ ok: false, error: expect.any(UndecodableImageError) });
    for (const outcome of [outcomes[0], outcomes[2]]) {
      expect(outcome.ok && outcome.predictions[0].label).toBe('macaw');
    }
  });

  it('classifies a greyscale image and a PNG with transparency', async () => {
    const parrot = await readFile(path.join(photos, 'parrot.jpg'));
    const grey = await sharp(parrot).toColourspace('b-w').jpeg().toBuffer();
    const withAlpha = await sharp(parrot).ensureAlpha(0.5).png().toBuffer();

    const [greyOutcome, alphaOutcome] = await classifier.classifyBatch([grey, withAlpha]);

    expect(greyOutcome.ok && greyOutcome.predictions).toHaveLength(5);
    expect(alphaOutcome.ok && alphaOutcome.predictions[0].label).toBe('macaw');
  });

  it('refuses to load when the manifest names an input tensor the graph does not have', async () => {
    const wrong = {
      ...model,
      manifest: { ...model.manifest, input: { ...model.manifest.input, name: 'data' } },
    };

    await expect(load(wrong)).rejects.toThrow(ModelContractError);
    await expect(load(wrong)).rejects.toThrow(/no input "data" \(graph inputs: input\)/);
  });
});
