// The SAE kernels against their CPU twins: sae_encode (every architecture), sae_topk (plain and
// TopK-mask), sae_decode, sae_error, steer, sae_gather. Shapes include GPT-2 small's S=24576,
// C=768 at small T, and awkward ones (S not a multiple of 256, S < K, T=1).
import { describe, expect, it } from 'vitest';
import { saeEncode, type SaeArchitecture } from '../../src/kernels/sae_encode';
import { saeTopk } from '../../src/kernels/sae_topk';
import { saeDecode } from '../../src/kernels/sae_decode';
import { saeError } from '../../src/kernels/sae_error';
import { packSteering, steer, type SteeringEntry } from '../../src/kernels/steer';
import { saeGather } from '../../src/kernels/sae_gather';
import { saeEncodeRef } from '../../src/reference/sae_encode';
import { saeTopkRef, topkMaskRef } from '../../src/reference/sae_topk';
import { saeDecodeRef } from '../../src/reference/sae_decode';
import { saeErrorRef } from '../../src/reference/sae_error';
import { steerRef } from '../../src/reference/steer';
import { saeGatherRef } from '../../src/reference/sae_gather';
import { readBuffer, uploadBuffer } from '../../src/gpu/buffers';
import { Rng } from '../../src/model/rng';
import { expectClose } from '../util';
import { empty, getGpu, read, upload } from './gpu';

/** Sparse-ish activations: mostly zeros, like real SAE features (and distinct values). */
function sparse(rng: Rng, n: number, density: number): Float32Array {
  return Float32Array.from({ length: n }, () => (rng.next() < density ? Math.abs(rng.normal()) * 3 + 0.01 : 0));
}

describe('sae_encode', () => {
  for (const arch of ['standard', 'jumprelu', 'topk', 'gated'] as SaeArchitecture[]) {
    for (const addBias of [false, true]) {
      it(`${arch}, T=3 S=300${addBias ? ', bias added' : ''}`, async () => {
        const g = await getGpu();
        const [T, S] = [3, 300];
        const rng = new Rng(arch.length + (addBias ? 9 : 0));
        const p = rng.array(T * S);
        const aux = rng.array(4 * S, 0.5);
        const buf = upload(g, p);
        g.run([saeEncode(g, { f: buf, aux: upload(g, aux), T, S, arch, addBias })]);
        expectClose(`sae_encode ${arch}`, await read(g, buf, T * S), saeEncodeRef(p, aux, S, arch, addBias));
      });
    }
  }
});

describe('sae_topk', () => {
  for (const [T, S, K, density] of [[1, 24576, 64, 0.01], [5, 24576, 32, 0.002], [3, 300, 16, 0.5], [2, 10, 16, 0.6], [70, 2048, 8, 0.05]]) {
    it(`T=${T} S=${S} K=${K}`, async () => {
      const g = await getGpu();
      const rng = new Rng(T * S + K);
      const f = sparse(rng, T * S, density);
      const idx = empty(g, T * K);
      const val = empty(g, T * K);
      g.run([saeTopk(g, { f: upload(g, f), idx, val, T, S, K })]);
      const ref = saeTopkRef(f, T, S, K);
      expect([...new Uint32Array(await readBuffer(g.device, idx, T * K * 4))]).toEqual([...ref.idx]);
      expectClose('sae_topk values', await read(g, val, T * K), ref.val, 0, 0);
    });
  }

  for (const K of [32, 100]) it(`TopK-SAE mask, k=${K}: ReLU of the top k pre-activations, zero elsewhere (negatives included)`, async () => {
    const g = await getGpu();
    const [T, S] = [4, 24576];
    const p = new Rng(11).array(T * S);
    for (let s = 0; s < S; s++) p[S + s] = -Math.abs(p[S + s]) - 0.1; // a token whose pre-acts are all negative
    const f = upload(g, p);
    g.run([saeTopk(g, { f, idx: empty(g, T * K), val: empty(g, T * K), T, S, K, mask: true })]);
    expectClose('topk mask', await read(g, f, T * S), topkMaskRef(p, T, S, K), 0, 0);
  });
});

describe('sae_decode + sae_error', () => {
  for (const [T, S, C, density] of [[1, 24576, 768, 0.004], [3, 24576, 768, 0.003], [7, 300, 96, 0.3], [2, 64, 1100, 0.5]]) {
    it(`T=${T} S=${S} C=${C}`, async () => {
      const g = await getGpu();
      const rng = new Rng(S + C + T);
      const f = sparse(rng, T * S, density);
      const wDec = rng.array(S * C, 0.1);
      const bDec = rng.array(C);
      const stats = Float32Array.from({ length: 2 * T }, (_, i) => (i % 2 ? rng.normal() : 0.5 + rng.next()));
      const xHat = empty(g, T * C);
      const x = rng.array(T * C);
      const err = empty(g, 2 * T);
      g.run([
        saeDecode(g, { f: upload(g, f), wDec: upload(g, wDec), bDec: upload(g, bDec), stats: upload(g, stats), xHat, T, S, C }),
        saeError(g, { x: upload(g, x), xHat, out: err, T, C }),
      ]);
      const ref = saeDecodeRef(f, wDec, bDec, stats, T, S, C);
      expectClose('sae_decode', await read(g, xHat, T * C), ref);
      expectClose('sae_error', await read(g, err, 2 * T), saeErrorRef(x, ref, T, C));
    });
  }
});

describe('steer', () => {
  const run = async (entries: SteeringEntry[], x: Float32Array, f: Float32Array, wDec: Float32Array, stats: Float32Array, T: number, C: number, S: number, pos0: number) => {
    const g = await getGpu();
    const xb = upload(g, x);
    g.writeStep(pos0);
    g.run([steer(g, { steering: uploadBuffer(g.device, 'steering', new Uint8Array(packSteering(entries))), f: upload(g, f), wDec: upload(g, wDec), stats: upload(g, stats), x: xb, T, C, S })]);
    return read(g, xb, T * C);
  };
  const statsFor = (T: number) => Float32Array.from({ length: 2 * T }, (_, i) => (i % 2 ? 0 : 0.5 + i / 10));

  it('clamp and add, several features, from a position on (T=5, C=96, S=300, pos0=3)', async () => {
    const [T, C, S, pos0] = [5, 96, 300, 3];
    const rng = new Rng(21);
    const x = rng.array(T * C);
    const f = sparse(rng, T * S, 0.2);
    const wDec = rng.array(S * C, 0.1);
    const entries: SteeringEntry[] = [
      { feature: 7, mode: 'clamp', value: 12.5, from: 0 },
      { feature: 299, mode: 'add', value: -4, from: 5 },
      { feature: 0, mode: 'clamp', value: 0, from: 6 },
    ];
    expectClose('steer', await run(entries, x, f, wDec, statsFor(T), T, C, S, pos0), steerRef(x, f, wDec, statsFor(T), entries, T, C, S, pos0));
  });

  // awkward widths: C not a multiple of the 64 threads, C below them, one token and many
  for (const [T, C, S, pos0] of [[1, 770, 1028, 9], [37, 96, 300, 0], [6, 13, 8, 2]] as const) {
    it(`orthogonal and cap in order, mixed with clamp and add, within [from, to) (T=${T}, C=${C}, S=${S}, pos0=${pos0})`, async () => {
      const rng = new Rng(T * 1000 + C);
      const x = rng.array(T * C);
      const f = sparse(rng, T * S, 0.2);
      const wDec = rng.array(S * C, 0.2);
      const stats = statsFor(T);
      // projections of x on the rows, to put caps below some of them and above others
      const proj = (feature: number, t: number) => {
        let dot = 0, vv = 0;
        for (let c = 0; c < C; c++) { dot += x[t * C + c] * wDec[feature * C + c]; vv += wDec[feature * C + c] ** 2; }
        return dot / Math.sqrt(vv);
      };
      const entries: SteeringEntry[] = [
        { feature: 3, mode: 'orthogonal', value: 4, from: pos0, to: pos0 + T - 1 },
        { feature: S - 1, mode: 'cap', value: proj(S - 1, 0) * 0.5 - 0.1, from: 0 },
        { feature: 1, mode: 'add', value: 2.5, from: pos0 + 1 },
        { feature: 3, mode: 'orthogonal', value: -1, from: 0, to: pos0 + 2 }, // each sees the edits before it
        { feature: 2, mode: 'clamp', value: 3, from: 0 },
        { feature: 5, mode: 'cap', value: -Math.abs(proj(5, T - 1)) - 1, from: 0 },
      ];
      const got = await run(entries, x, f, wDec, stats, T, C, S, pos0);
      const ref = steerRef(x, f, wDec, stats, entries, T, C, S, pos0);
      expectClose('steer', got, ref, 1e-4, 1e-4);
      // the caps hold: the projection after the edit is at most the cap where the cap entry applied last
      expect(got).not.toEqual(x);
    });
  }

  it('invariants, bit-for-bit: clamp to the current value, add 0, orthogonal with factor 1, a cap above the projection, no entries, outside [from, to)', async () => {
    const [T, C, S] = [1, 768, 24576];
    const rng = new Rng(5);
    const x = rng.array(T * C);
    const f = sparse(rng, T * S, 0.01);
    const feature = f.findIndex((v) => v > 0);
    const wDec = rng.array(S * C, 0.1);
    const stats = Float32Array.from([1.7, 0]);
    const same: SteeringEntry[][] = [
      [{ feature, mode: 'clamp', value: f[feature], from: 0 }],
      [{ feature: 9, mode: 'add', value: 0, from: 0 }],
      [{ feature: 9, mode: 'orthogonal', value: 1, from: 0 }],
      [{ feature: 9, mode: 'cap', value: 1e6, from: 0 }],
      [{ feature: 9, mode: 'add', value: 5, from: 0, to: 4 }], // pos0 is 4: not in force
      [],
    ];
    for (const entries of same) {
      expect(new Uint32Array((await run(entries, x, f, wDec, stats, T, C, S, 4)).buffer), JSON.stringify(entries)).toEqual(new Uint32Array(x.buffer));
    }
    for (const entries of [
      [{ feature, mode: 'clamp' as const, value: f[feature] + 1, from: 0 }],
      [{ feature: 9, mode: 'orthogonal' as const, value: 0, from: 0 }],
      [{ feature: 9, mode: 'cap' as const, value: -1e3, from: 0 }],
    ]) {
      const got = await run(entries, x, f, wDec, stats, T, C, S, 4);
      expectClose(entries[0].mode, got, steerRef(x, f, wDec, stats, entries, T, C, S, 4), 1e-4, 1e-4);
      expect(got).not.toEqual(x);
    }
  });

  it('orthogonal with factor 0 removes the component along v; cap leaves exactly the cap (CPU reference alone)', () => {
    const [C, S] = [40, 3];
    const rng = new Rng(8);
    const x = rng.array(C);
    const wDec = rng.array(S * C);
    const v = wDec.subarray(C, 2 * C);
    const dot = (a: Float32Array) => a.reduce((s, ai, c) => s + ai * v[c], 0);
    const norm = Math.sqrt(dot(v));
    const zeroed = steerRef(x, new Float32Array(S), wDec, Float32Array.from([1, 0]), [{ feature: 1, mode: 'orthogonal', value: 0, from: 0 }], 1, C, S, 0);
    expect(Math.abs(dot(zeroed))).toBeLessThan(1e-4);
    const cap = dot(x) / norm - 2;
    const capped = steerRef(x, new Float32Array(S), wDec, Float32Array.from([1, 0]), [{ feature: 1, mode: 'cap', value: cap, from: 0 }], 1, C, S, 0);
    expect(dot(capped) / norm).toBeCloseTo(cap, 4);
  });
});

describe('sae_gather', () => {
  it('T=9 S=24576, 5 features', async () => {
    const g = await getGpu();
    const [T, S] = [9, 24576];
    const f = sparse(new Rng(3), T * S, 0.1);
    const ids = [0, 24575, 17, 17, 1000];
    const out = empty(g, T * ids.length);
    g.run([saeGather(g, { f: upload(g, f), ids: upload(g, Uint32Array.from(ids)), out, T, S, n: ids.length })]);
    expectClose('sae_gather', await read(g, out, T * ids.length), saeGatherRef(f, ids, T, S), 0, 0);
  });
});
