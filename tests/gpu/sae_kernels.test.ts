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
  it('clamp and add, several features, from a position on (T=5, C=96, S=300, pos0=3)', async () => {
    const g = await getGpu();
    const [T, C, S, pos0] = [5, 96, 300, 3];
    const rng = new Rng(21);
    const x = rng.array(T * C);
    const f = sparse(rng, T * S, 0.2);
    const wDec = rng.array(S * C, 0.1);
    const stats = Float32Array.from({ length: 2 * T }, (_, i) => (i % 2 ? 0 : 0.5 + i / 10));
    const entries: SteeringEntry[] = [
      { feature: 7, mode: 'clamp', value: 12.5, from: 0 },
      { feature: 299, mode: 'add', value: -4, from: 5 },
      { feature: 0, mode: 'clamp', value: 0, from: 6 },
    ];
    const xb = upload(g, x);
    g.writeStep(pos0);
    g.run([steer(g, { steering: uploadBuffer(g.device, 'steering', new Uint8Array(packSteering(entries))), f: upload(g, f), wDec: upload(g, wDec), stats: upload(g, stats), x: xb, T, C, S })]);
    expectClose('steer', await read(g, xb, T * C), steerRef(x, f, wDec, stats, entries, T, C, S, pos0));
  });

  it('clamping a feature to its current value leaves x bit-for-bit unchanged; no entries too; another value moves it', async () => {
    const g = await getGpu();
    const [T, C, S] = [1, 768, 24576];
    const rng = new Rng(5);
    const x = rng.array(T * C);
    const f = sparse(rng, T * S, 0.01);
    const feature = f.findIndex((v) => v > 0);
    const wDec = rng.array(S * C, 0.1);
    const stats = Float32Array.from([1.7, 0]);
    for (const entries of [[{ feature, mode: 'clamp' as const, value: f[feature], from: 0 }], []]) {
      const xb = upload(g, x);
      g.writeStep(0);
      g.run([steer(g, { steering: uploadBuffer(g.device, 'steering', new Uint8Array(packSteering(entries))), f: upload(g, f), wDec: upload(g, wDec), stats: upload(g, stats), x: xb, T, C, S })]);
      expect(new Uint32Array((await read(g, xb, T * C)).buffer)).toEqual(new Uint32Array(x.buffer));
    }
    const moved = upload(g, x);
    const entries = [{ feature, mode: 'clamp' as const, value: f[feature] + 1, from: 0 }];
    g.run([steer(g, { steering: uploadBuffer(g.device, 'steering', new Uint8Array(packSteering(entries))), f: upload(g, f), wDec: upload(g, wDec), stats: upload(g, stats), x: moved, T, C, S })]);
    expectClose('clamp to value + 1', await read(g, moved, T * C), steerRef(x, f, wDec, stats, entries, T, C, S, 0));
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
