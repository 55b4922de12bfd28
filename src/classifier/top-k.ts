/** One class the model sees in an image. */
export interface Prediction {
  /** Output index, the same as the index into the model's labels file. */
  index: number;
  label: string;
  /** Softmax probability, 0..1; the probabilities of all classes sum to 1. */
  probability: number;
}

/** Numerically stable softmax (the maximum is subtracted before exponentiating). */
export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i] - max);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/** The `k` most probable classes, most probable first; ties keep the lower index first. */
export function topK(probabilities: ArrayLike<number>, labels: readonly string[], k: number): Prediction[] {
  const indices = Array.from({ length: probabilities.length }, (_, i) => i);
  indices.sort((a, b) => probabilities[b] - probabilities[a] || a - b);
  return indices
    .slice(0, k)
    .map((index) => ({ index, label: labels[index], probability: probabilities[index] }));
}
