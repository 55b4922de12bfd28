import { softmax, topK } from './top-k';

describe('softmax', () => {
  it('gives probabilities that sum to 1 and keep the order of the logits', () => {
    const p = softmax([1, 3, 2]);
    expect(p[0] + p[1] + p[2]).toBeCloseTo(1, 12);
    expect(p[1]).toBeGreaterThan(p[2]);
    expect(p[2]).toBeGreaterThan(p[0]);
    expect(p[1]).toBeCloseTo(Math.exp(3) / (Math.exp(1) + Math.exp(3) + Math.exp(2)), 12);
  });

  it('stays finite for logits far too large to exponentiate directly', () => {
    const p = softmax([1000, 999, -1000]);
    expect(Array.from(p).every(Number.isFinite)).toBe(true);
    expect(p[0]).toBeCloseTo(1 / (1 + Math.exp(-1)), 12);
  });
});

describe('topK', () => {
  it('returns the k most probable classes with their labels, most probable first', () => {
    const labels = ['a', 'b', 'c', 'd'];
    expect(topK([0.1, 0.4, 0.2, 0.3], labels, 2)).toEqual([
      { index: 1, label: 'b', probability: 0.4 },
      { index: 3, label: 'd', probability: 0.3 },
    ]);
  });

  it('puts the lower index first when probabilities tie', () => {
    expect(topK([0.25, 0.25, 0.25, 0.25], ['a', 'b', 'c', 'd'], 3).map((p) => p.index)).toEqual([0, 1, 2]);
  });
});
