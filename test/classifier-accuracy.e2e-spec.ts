import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { runInThisContext } from 'node:vm';
import type { OnnxClassifier } from '../src/classifier/onnx-classifier';
import { DEFAULT_MODEL_ID } from '../src/models/model-manifest.loader';
import { datasetFolder, datasetManifestFile } from './support/paths';

// onnxruntime-node returns tensors whose data is a Float32Array of Node's main realm, but jest runs
// this file in a vm context with its own Float32Array, so onnxruntime-common's instanceof check
// throws. Sharing the main realm's constructor before onnxruntime loads (hence the dynamic import
// in beforeAll) makes both agree. A jest environment or setup file doing this would replace it.
globalThis.Float32Array = runInThisContext('Float32Array') as Float32ArrayConstructor;

const repoRoot = path.resolve(__dirname, '..');
const imagesDir = datasetFolder('ilsvrc2012-val-sample');

/** Ground truth: `{ "<file>": { index, wnid, label, wordnet } }` (see the dataset's manifest). */
type GroundTruth = Record<string, { index: number; label: string }>;

describe(`classifier (${DEFAULT_MODEL_ID}) on ILSVRC2012 validation images`, () => {
  let classifier: OnnxClassifier;
  let truth: GroundTruth;
  let files: string[];
  let images: Buffer[];

  beforeAll(async () => {
    const { createClassifier } = await import('../src/classifier/classifier.factory');
    classifier = await createClassifier({ repoRoot, intraOpNumThreads: 2 });
    truth = JSON.parse(
      await readFile(datasetManifestFile('ilsvrc2012-val-sample', 'labels.json'), 'utf8'),
    ) as GroundTruth;
    files = Object.keys(truth).sort();
    images = await Promise.all(files.map((file) => readFile(path.join(imagesDir, file))));
  }, 60_000);

  afterAll(async () => {
    await classifier?.release();
  });

  it('gets at least 75 % top-1 on the 300 images with ground truth', async () => {
    expect(files).toHaveLength(300);

    const outcomes = await classifier.classifyBatch(images);

    const correct = outcomes.filter((outcome, i) => {
      if (!outcome.ok) throw outcome.error;
      const [best] = outcome.predictions;
      return best.index === truth[files[i]].index && best.label === truth[files[i]].label;
    }).length;
    expect(correct / files.length).toBeGreaterThanOrEqual(0.75);
  }, 120_000); // 300 decodes and inferences on 2 shared cores

  it('gives the same top-5 for an image classified alone as inside a batch', async () => {
    const sample = images.slice(0, 12);

    const batched = await classifier.classifyBatch(sample);
    const single = await Promise.all(sample.map((image) => classifier.classify(image)));

    batched.forEach((outcome, i) => {
      if (!outcome.ok) throw outcome.error;
      expect(outcome.predictions.map((p) => p.index)).toEqual(single[i].map((p) => p.index));
      outcome.predictions.forEach((p, rank) =>
        expect(p.probability).toBeCloseTo(single[i][rank].probability, 4),
      );
    });
  });
});
