import { z } from 'zod';

export const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a lower-case hex sha256 (64 characters)');

export const fileName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a plain file name (no directories)')
  .refine((name) => name !== '..', 'a plain file name (no directories)');

// Mirror paths are joined onto a local directory, so they must not climb out of it.
export const mirrorPath = z
  .string()
  .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, 'a relative POSIX path such as "<id>/model.onnx"')
  .refine((p) => !p.split('/').some((part) => part === '..' || part === '.'), 'no "." or ".." segments');

/** One file the model needs: where it lands locally, how to verify it and where to get it. */
export const ModelFileSchema = z.strictObject({
  /** File name under `models/<id>/`. */
  file: fileName,
  sha256: sha256Hex,
  /** Size in bytes. */
  size: z.number().int().positive(),
  /** Path of the same bytes under a mirror directory (`MODEL_MIRROR`, laid out like `../shared/models`). */
  mirrorPath,
  /** HTTP(S) URLs serving exactly these bytes, tried in order after the mirrors. Empty: mirror only. */
  urls: z.array(z.url({ protocol: /^https?$/ })),
});

export const LabelsFileSchema = ModelFileSchema.extend({
  /** `json-string-array`: a JSON array of class names, array index = output index. */
  format: z.literal('json-string-array'),
});

/**
 * How an image becomes the model's input tensor. Per channel, after the resize and crop:
 * `value = (pixel / valueScale − mean) / std`.
 */
export const InputSpecSchema = z
  .strictObject({
    /** Name of the input tensor in the graph. */
    name: z.string().min(1),
    dtype: z.literal('float32'),
    /** Tensor layout; the batch dimension N is dynamic. */
    layout: z.literal('NCHW'),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    /** Order of the three channel planes in the tensor. */
    channelOrder: z.enum(['RGB', 'BGR']),
    resize: z.strictObject({
      /** The shorter side is scaled to this many pixels (aspect ratio kept), then the centre is cropped. */
      shorterSide: z.number().int().positive(),
      crop: z.literal('centre'),
      /** sharp's resampling kernel. */
      kernel: z.enum(['nearest', 'linear', 'cubic', 'mitchell', 'lanczos2', 'lanczos3']),
    }),
    /** Pixels (0..255) are divided by this first: 255 gives the 0..1 scale that mean and std refer to. */
    valueScale: z.number().positive(),
    /** Per-channel mean on the `valueScale` scale, in R, G, B order whatever `channelOrder` is. */
    mean: z.tuple([z.number(), z.number(), z.number()]),
    /** Per-channel standard deviation, in R, G, B order. */
    std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
  })
  .refine((spec) => spec.resize.shorterSide >= Math.max(spec.width, spec.height), {
    message: 'resize.shorterSide must be at least the crop width and height',
    path: ['resize', 'shorterSide'],
  });

export const OutputSpecSchema = z.strictObject({
  /** Name of the output tensor in the graph, shape [N, classes]. */
  name: z.string().min(1),
  /** `logits` are turned into probabilities with a softmax; `probabilities` are used as they are. */
  kind: z.enum(['logits', 'probabilities']),
  classes: z.number().int().positive(),
});

/** A model manifest (`models/<id>.json`): everything needed to fetch, verify and call one model. */
export const ModelManifestSchema = z.strictObject({
  /** Also the manifest's file name and the local folder `models/<id>/`. */
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" and "-"'),
  description: z.string().min(1),
  model: ModelFileSchema,
  labels: LabelsFileSchema,
  input: InputSpecSchema,
  output: OutputSpecSchema,
  /** Licence of the weights and labels, with where that was read. */
  licence: z.string().min(1),
  /** Where the files and the facts in this manifest come from. */
  provenance: z.string().min(1),
});

export type ModelFile = z.infer<typeof ModelFileSchema>;
export type LabelsFile = z.infer<typeof LabelsFileSchema>;
export type InputSpec = z.infer<typeof InputSpecSchema>;
export type OutputSpec = z.infer<typeof OutputSpecSchema>;
export type ModelManifest = z.infer<typeof ModelManifestSchema>;
