import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { z } from 'zod';
import { ModelManifest } from '../models/model-manifest.schema';
import { ModelContractError, UndecodableImageError } from './classifier.errors';
import { DEFAULT_MAX_PIXELS, preprocessImage } from './image-preprocessor';
import { Prediction, softmax, topK } from './top-k';

/** Options of {@link OnnxClassifier.load}. */
export interface OnnxClassifierOptions {
  /**
   * Threads ONNX Runtime uses inside one operator (default 2). Measured on MobileNetV2: 2 threads
   * roughly halve latency against 1; the service scales further by adding worker processes.
   */
  intraOpNumThreads?: number;
  /** Most images sent to one `session.run` (default 16); longer batches are split. */
  maxBatchSize?: number;
  /** Predictions returned per image, most probable first (default 5). */
  topK?: number;
  /** The largest image decoded, width × height (default {@link DEFAULT_MAX_PIXELS}); larger ones are refused. */
  maxPixels?: number;
}

/** A model's files, verified, as {@link fetchModel} returns them. */
export interface ModelFiles {
  manifest: ModelManifest;
  modelPath: string;
  labelsPath: string;
}

/** The result for one image of a batch: its predictions, or why it could not be read. */
export type ClassifyOutcome =
  { ok: true; predictions: Prediction[] } | { ok: false; error: UndecodableImageError };

/**
 * An ImageNet classifier over one ONNX Runtime session, created once by {@link OnnxClassifier.load}
 * and reused for every call. Preprocessing comes from the model's manifest.
 */
export class OnnxClassifier {
  // One session.run at a time, so intraOpNumThreads really bounds the CPU this classifier uses.
  private runQueue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly manifest: ModelManifest,
    private readonly session: ort.InferenceSession,
    private readonly labels: readonly string[],
    private readonly maxBatchSize: number,
    private readonly k: number,
    private readonly maxPixels: number,
  ) {}

  /**
   * Creates the session and checks the graph and labels against the manifest.
   *
   * @throws ModelContractError when tensor names, input shape or class count disagree with the manifest.
   */
  static async load(files: ModelFiles, options: OnnxClassifierOptions = {}): Promise<OnnxClassifier> {
    const { manifest } = files;
    const labels = await readLabels(files.labelsPath, manifest);
    // ONNX Runtime 1.30 starts a telemetry client with its first session: it leaves an empty
    // /tmp/mat-debug-<pid>.log behind each process and tries to upload over HTTPS. A service that
    // runs offline wants neither; an operator who does can set the variable to 0.
    process.env.ORT_DISABLE_TELEMETRY ??= '1';
    const session = await ort.InferenceSession.create(files.modelPath, {
      intraOpNumThreads: options.intraOpNumThreads ?? 2,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    let graphBatchLimit: number;
    try {
      graphBatchLimit = checkGraph(session, manifest);
    } catch (error) {
      await session.release();
      throw error;
    }
    const maxBatchSize = Math.min(options.maxBatchSize ?? 16, graphBatchLimit);
    return new OnnxClassifier(
      manifest,
      session,
      labels,
      maxBatchSize,
      options.topK ?? 5,
      options.maxPixels ?? DEFAULT_MAX_PIXELS,
    );
  }

  /**
   * Classifies one image.
   *
   * @throws UndecodableImageError when the bytes are not a decodable image.
   */
  async classify(image: Buffer): Promise<Prediction[]> {
    const [outcome] = await this.classifyBatch([image]);
    if (!outcome.ok) throw outcome.error;
    return outcome.predictions;
  }

  /**
   * Classifies many images with as few `session.run` calls as `maxBatchSize` allows. One outcome per
   * image, in input order; an undecodable image fails alone and does not affect the others.
   */
  async classifyBatch(images: readonly Buffer[]): Promise<ClassifyOutcome[]> {
    const chunks: (readonly Buffer[])[] = [];
    for (let start = 0; start < images.length; start += this.maxBatchSize) {
      chunks.push(images.slice(start, start + this.maxBatchSize));
    }
    const outcomes: ClassifyOutcome[] = [];
    let next = chunks.length ? this.decode(chunks[0]) : undefined;
    for (let i = 0; next; i++) {
      const decoded = await next;
      // Decode the next chunk (sharp, libuv threads) while this one runs in ONNX Runtime.
      next = i + 1 < chunks.length ? this.decode(chunks[i + 1]) : undefined;
      outcomes.push(...(await this.classifyDecoded(decoded)));
    }
    return outcomes;
  }

  /** Frees the native session; the classifier must not be used afterwards. */
  async release(): Promise<void> {
    await this.runQueue;
    await this.session.release();
  }

  /** Never rejects: each image's preprocessing succeeds or fails on its own. */
  private decode(images: readonly Buffer[]): Promise<PromiseSettledResult<Float32Array>[]> {
    return Promise.allSettled(
      images.map((image) => preprocessImage(image, this.manifest.input, this.maxPixels)),
    );
  }

  private async classifyDecoded(tensors: PromiseSettledResult<Float32Array>[]): Promise<ClassifyOutcome[]> {
    const decoded = tensors.flatMap((t) => (t.status === 'fulfilled' ? [t.value] : []));
    const scores = decoded.length ? await this.infer(decoded) : [];
    let next = 0;
    return tensors.map((t): ClassifyOutcome => {
      if (t.status === 'fulfilled') return { ok: true, predictions: scores[next++] };
      if (t.reason instanceof UndecodableImageError) return { ok: false, error: t.reason };
      throw t.reason;
    });
  }

  private async infer(images: Float32Array[]): Promise<Prediction[][]> {
    const { input, output } = this.manifest;
    const perImage = 3 * input.height * input.width;
    const batch = new Float32Array(images.length * perImage);
    images.forEach((image, i) => batch.set(image, i * perImage));
    const feeds = {
      [input.name]: new ort.Tensor('float32', batch, [images.length, 3, input.height, input.width]),
    };

    const run = this.runQueue.then(() => this.session.run(feeds));
    this.runQueue = run.catch(() => undefined);
    const result = (await run)[output.name];

    const classes = this.labels.length;
    if (result.dims.length !== 2 || result.dims[0] !== images.length || result.dims[1] !== classes) {
      throw new ModelContractError(
        this.manifest.id,
        `output dims [${result.dims}], expected [${images.length},${classes}]`,
      );
    }
    const data = result.data as Float32Array;
    return images.map((_, i) => {
      const row = data.subarray(i * classes, (i + 1) * classes);
      return topK(output.kind === 'logits' ? softmax(row) : row, this.labels, this.k);
    });
  }
}

async function readLabels(labelsPath: string, manifest: ModelManifest): Promise<string[]> {
  const expected = `labels file ${labelsPath} is not a JSON array of ${manifest.output.classes} names`;
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(labelsPath, 'utf8'));
  } catch (error) {
    throw new ModelContractError(manifest.id, `${expected}: ${(error as Error).message}`);
  }
  const parsed = z.array(z.string().min(1)).length(manifest.output.classes).safeParse(raw);
  if (!parsed.success)
    throw new ModelContractError(manifest.id, `${expected}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Checks names and input shape against the manifest; returns the largest batch the graph accepts. */
function checkGraph(session: ort.InferenceSession, manifest: ModelManifest): number {
  const { input, output } = manifest;
  if (!session.inputNames.includes(input.name)) {
    throw new ModelContractError(
      manifest.id,
      `no input "${input.name}" (graph inputs: ${session.inputNames})`,
    );
  }
  if (!session.outputNames.includes(output.name)) {
    throw new ModelContractError(
      manifest.id,
      `no output "${output.name}" (graph outputs: ${session.outputNames})`,
    );
  }
  const meta = session.inputMetadata.find((m) => m.name === input.name);
  const shape = meta?.isTensor ? meta.shape : undefined;
  const expected = [undefined, 3, input.height, input.width];
  // Symbolic dimensions (the batch "N") are strings; only fixed numbers can contradict the manifest.
  if (
    shape &&
    (shape.length !== 4 || shape.some((d, i) => typeof d === 'number' && i > 0 && d !== expected[i]))
  ) {
    throw new ModelContractError(
      manifest.id,
      `input shape [${shape}], expected [N,3,${input.height},${input.width}]`,
    );
  }
  return typeof shape?.[0] === 'number' && shape[0] > 0 ? shape[0] : Infinity;
}
