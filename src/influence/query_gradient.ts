// The query's projected gradient on the GPU, in the index's space (index_file.ts): the loss is
// the summed next-token cross-entropy of the completion given the prompt; its gradient w.r.t.
// each Linear weight W (in, out) is Σ_t x_tᵀ dy_t, and the projection P_inᵀ (Σ_t x_tᵀ dy_t) P_out
// = Σ_t (x_t P_in)ᵀ (dy_t P_out) is computed from the backward's rows without ever forming the
// (in, out) gradient: per Linear two thin matmuls and one (kIn, kOut) weight-gradient kernel.
import { createBuffer, readF32, uploadTensor, type GpuTensor } from '../gpu/buffers';
import type { Gpu, Step } from '../gpu/gpu';
import { matmul } from '../kernels/matmul';
import { matmulBackwardWeight } from '../kernels/matmul_backward';
import { gpt2Backward, unembedRows, type LinearGrad } from '../model/backward';
import type { Gpt2 } from '../model/gpt2';
import { logSoftmax } from '../model/inspect';
import type { TdaIndex, TdaLinear } from './index_file';

/** A Linear's projections on the GPU, their columns padded with zeros to kIn4, kOut4 (multiples of 4, for the vec4 matmuls). */
interface Projection {
  lin: TdaLinear;
  pIn: GpuTensor; //  (in, kIn4)
  pOut: GpuTensor; // (out, kOut4)
  kIn4: number;
  kOut4: number;
}

/** The projection matrices on the GPU, uploaded once per index and model. */
export interface TdaProjections {
  gpu: Gpu;
  byName: Map<string, Projection>;
  destroy(): void;
}

/** (rows, k) row-major, padded to (rows, k4) with zero columns. */
function padColumns(m: Float32Array, rows: number, k: number, k4: number): Float32Array {
  if (k === k4) return m;
  const out = new Float32Array(rows * k4);
  for (let r = 0; r < rows; r++) out.set(m.subarray(r * k, (r + 1) * k), r * k4);
  return out;
}

export function uploadProjections(gpu: Gpu, index: TdaIndex): TdaProjections {
  const byName = new Map<string, Projection>();
  const up4 = (k: number) => Math.ceil(k / 4) * 4;
  for (const lin of index.linears) {
    const [kIn4, kOut4] = [up4(lin.kIn), up4(lin.kOut)];
    byName.set(lin.name, {
      lin, kIn4, kOut4,
      pIn: uploadTensor(gpu.device, `${lin.name}.P_in_T`, [lin.in, kIn4], padColumns(lin.pIn, lin.in, lin.kIn, kIn4), Infinity),
      pOut: uploadTensor(gpu.device, `${lin.name}.P_out_T`, [lin.out, kOut4], padColumns(lin.pOut, lin.out, lin.kOut, kOut4), Infinity),
    });
  }
  return {
    gpu, byName,
    destroy: () => byName.forEach(({ pIn, pOut }) => [...pIn.parts, ...pOut.parts].forEach((p) => p.buffer.destroy())),
  };
}

export interface QueryGradient {
  /** (D) the projected gradient of the completion's loss. */
  q: Float32Array;
  /** The loss: Σ over the completion's tokens of -log p(token | everything before it). */
  loss: number;
}

const wteCache = new WeakMap<Gpt2, Float32Array>();

/**
 * ids = prompt + completion (the completion starts at `start` >= 1). Runs one forward (empties
 * the model's KV cache slot 0) and one backward.
 */
export async function queryGradient(model: Gpt2, proj: TdaProjections, index: TdaIndex, ids: number[], start: number): Promise<QueryGradient> {
  const { gpu, cfg } = model;
  const T = ids.length;
  const { dModel: C, vocabSize: V } = cfg;
  if (!(start >= 1 && start < T)) throw new Error(`influence: the completion must start after the first token and hold at least one token (start ${start}, T ${T})`);
  for (const lin of index.linears) if (!proj.byName.has(lin.name)) throw new Error(`influence: no projection for ${lin.name}`);

  // d loss / d logits at the rows that predict the completion: softmax - onehot
  model.reset();
  const { logits } = await model.forward(ids, { logits: 'all' }); // (T, V)
  const dlogits = new Float32Array(T * V);
  let loss = 0;
  for (let t = start - 1; t < T - 1; t++) {
    const logP = logSoftmax(logits.subarray(t * V, (t + 1) * V));
    const target = ids[t + 1];
    loss -= logP[target];
    for (let v = 0; v < V; v++) dlogits[t * V + v] = Math.exp(logP[v]);
    dlogits[t * V + target] -= 1;
  }
  // through the tied head: d ln_f's output = dlogits · wte (V is small for the models with an index)
  let wte = wteCache.get(model);
  if (!wte) wteCache.set(model, (wte = await unembedRows(gpu, model.unembed, Array.from({ length: V }, (_, v) => v), C)));
  const seed = new Float32Array(T * C);
  for (let t = start - 1; t < T - 1; t++) {
    for (let v = 0; v < V; v++) {
      const d = dlogits[t * V + v];
      if (d === 0) continue;
      for (let c = 0; c < C; c++) seed[t * C + c] += d * wte[v * C + c];
    }
  }

  // per Linear: xp (T, kIn) = x · P_in, dp (T, kOut) = dy · P_out, G (kIn, kOut) = xpᵀ · dp
  const made: GPUBuffer[] = [];
  const buf = (label: string, elems: number) => {
    const b = createBuffer(gpu.device, label, elems * 4);
    made.push(b);
    return b;
  };
  const blocks: Array<{ p: Projection; g: GPUBuffer }> = [];
  const onLinear = ({ name, x, dy, K, N }: LinearGrad): Step[] => {
    const p = proj.byName.get(name);
    if (!p) return [];
    const { lin, pIn, pOut, kIn4, kOut4 } = p;
    if (lin.in !== K || lin.out !== N) throw new Error(`influence: ${name} is (${K}, ${N}) in this model, (${lin.in}, ${lin.out}) in the index: the index was built for another model`);
    const xp = buf(`${name} x·P_in`, T * kIn4);
    const dp = buf(`${name} dy·P_out`, T * kOut4);
    const g = buf(`${name} projected gradient`, kIn4 * kOut4);
    blocks.push({ p, g });
    return [
      matmul(gpu, { a: x, b: pIn, bias: buf('zeros', kIn4), out: xp, M: T, N: kIn4, K, label: `${name} x·P_in` }),
      matmul(gpu, { a: dy, b: pOut, bias: buf('zeros', kOut4), out: dp, M: T, N: kOut4, K: N, label: `${name} dy·P_out` }),
      matmulBackwardWeight(gpu, { dy: dp, a: xp, dw: g, dbias: buf('unused', kOut4), M: T, N: kOut4, K: kIn4, label: `${name} projected gradient` }),
    ];
  };
  try {
    await gpt2Backward(model, ids, seed, { onLinear });
    const q = new Float32Array(index.dims);
    for (const { p, g } of blocks) {
      const { lin, kOut4 } = p;
      const padded = await readF32(gpu.device, g, p.kIn4 * kOut4); // (kIn4, kOut4): the padding rows and columns are 0
      for (let i = 0; i < lin.kIn; i++) q.set(padded.subarray(i * kOut4, i * kOut4 + lin.kOut), lin.offset + i * lin.kOut);
    }
    if (blocks.length !== index.linears.length) throw new Error(`influence: the backward passed ${blocks.length} of the index's ${index.linears.length} linears`);
    return { q, loss };
  } finally {
    for (const b of made) b.destroy();
  }
}
