import { describe, expect, it } from 'vitest';
import { argmax, checkSampling, sample } from '../../src/model/sampling';
import { Rng } from '../../src/model/rng';

const logits = Float32Array.from([1, 3, 2, 0.5, 2.9, -1]);

describe('sampling', () => {
  it('greedy is argmax', () => {
    expect(sample(logits, { temperature: 0, topK: 0, topP: 1 }, new Rng(1))).toBe(1);
    expect(argmax([0, 5, 5])).toBe(1);
  });

  it('the same seed gives the same tokens; another seed differs', () => {
    const draw = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 50 }, () => sample(logits, { temperature: 1.5, topK: 0, topP: 1 }, rng));
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('top-k keeps only the k most likely tokens', () => {
    const rng = new Rng(3);
    const seen = new Set(Array.from({ length: 300 }, () => sample(logits, { temperature: 5, topK: 2, topP: 1 }, rng)));
    expect([...seen].sort()).toEqual([1, 4]);
  });

  it('top-p keeps the smallest set reaching p', () => {
    // probabilities ~ [0.5, 0.3, 0.2]: p = 0.7 keeps two tokens, p = 0.4 one
    const l = Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.2)]);
    const rng = new Rng(4);
    const seen = (p: number) => new Set(Array.from({ length: 400 }, () => sample(l, { temperature: 1, topK: 0, topP: p }, rng)));
    expect([...seen(0.7)].sort()).toEqual([0, 1]);
    expect([...seen(0.4)]).toEqual([0]);
  });

  it('samples in proportion to softmax(logits / T)', () => {
    const l = Float32Array.from([0, Math.log(3)]); // p = [0.25, 0.75]
    const rng = new Rng(5);
    let ones = 0;
    for (let i = 0; i < 4000; i++) ones += sample(l, { temperature: 1, topK: 0, topP: 1 }, rng);
    expect(ones / 4000).toBeGreaterThan(0.72);
    expect(ones / 4000).toBeLessThan(0.78);
  });

  it('rejects bad settings', () => {
    expect(() => checkSampling({ temperature: -1, topK: 0, topP: 1 })).toThrow(/temperature/);
    expect(() => checkSampling({ temperature: 1, topK: 1.5, topP: 1 })).toThrow(/topK/);
    expect(() => checkSampling({ temperature: 1, topK: 0, topP: 0 })).toThrow(/topP/);
    expect(() => checkSampling({ temperature: NaN, topK: 0, topP: 1 })).toThrow(expect.objectContaining({ name: 'EngineStateError' }));
  });

  it('NaN or +Inf logits are a NonFiniteError under every setting, never an empty candidate set; -Inf is a masked token', () => {
    const settings = [{ temperature: 0, topK: 0, topP: 1 }, { temperature: 0.8, topK: 40, topP: 0.95 }, { temperature: 1, topK: 0, topP: 0.5 }];
    for (const bad of [NaN, Infinity]) {
      for (const s of settings) {
        const l = Float32Array.from([0.1, bad, -2, 3]);
        expect(() => sample(l, s, new Rng(1))).toThrow(expect.objectContaining({ name: 'NonFiniteError', message: expect.stringMatching(/token 1/) }));
      }
    }
    for (const s of settings) expect(sample(Float32Array.from([-Infinity, 2, -Infinity]), s, new Rng(2))).toBe(1);
  });
});
