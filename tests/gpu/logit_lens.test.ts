// The logit lens and the attention patterns against plain CPU loops over the tensors Hugging Face
// transformers computed (tests/fixtures/hf, see decoder.test.ts): each layer's residual from
// reference.json goes through the final norm and the tied LM head written out below (not the app's
// kernels), and the top-k tokens and probabilities must match the engine's lens; the last layer's
// row must also match softmax(reference logits). Attention patterns: each head's weights sum to 1,
// and match a CPU recomputation from the reference residuals (norm, q/k, QK-norm, RoPE, window,
// soft-cap written out below).
import { describe, expect, it } from 'vitest';
import { parseSafetensors, toFloat32 } from '../../src/model/safetensors';
import { logitLens, lensChunkRows, lensHooks } from '../../src/model/logit_lens';
import { Engine } from '../../src/worker/engine';
import { randomModelSource } from '../helpers/files_source';
import type { Transformer } from '../../src/model/transformer';
import type { DecoderConfig } from '../../src/model/decoder_config';
import { ropeInvFreq } from '../../src/model/decoder_config';
import { buildFromFiles } from '../helpers/load_model';
import { expectClose } from '../util';
import { getGpu } from './gpu';

interface Reference {
  input_ids: number[];
  logits: number[][];
  resid_pre: number[][][];
  resid_post: number[][][];
}

const dir = (family: string) => `/tests/fixtures/hf/${family}-seed1/`;
async function get(url: string): Promise<ArrayBuffer> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.arrayBuffer();
}

interface Fixture {
  ref: Reference;
  model: Transformer;
  w: (name: string) => Float32Array;
  cfg: Record<string, unknown>;
}

async function load(family: string): Promise<Fixture> {
  const gpu = await getGpu();
  const ref = JSON.parse(new TextDecoder().decode(await get(`${dir(family)}reference.json`))) as Reference;
  const files = { 'config.json': await get(`${dir(family)}config.json`), 'model.safetensors': await get(`${dir(family)}model.safetensors`) };
  const st = parseSafetensors(files['model.safetensors'].slice(0), 'model.safetensors');
  const w = (name: string) => toFloat32(st.tensors.get(name) ?? st.tensors.get(`transformer.${name}`)!);
  const cfg = JSON.parse(new TextDecoder().decode(files['config.json'])) as Record<string, unknown>;
  const { model } = await buildFromFiles(gpu, files);
  return { ref, model, w, cfg };
}

/** softmax(W_U final_norm(x)) with plain loops, in f64: the family's final norm, tied head, soft-cap. */
function lensRow(f: Fixture, family: string, x: number[]): Float64Array {
  const C = x.length;
  const gpt2 = family === 'gpt2';
  const wte = f.w(gpt2 ? 'wte.weight' : 'model.embed_tokens.weight');
  const V = wte.length / C;
  const y = new Float64Array(C);
  if (gpt2) {
    // ln_final with its weight and bias (TransformerLens's fold_ln moves them into W_U: same numbers)
    const [g, b] = [f.w('ln_f.weight'), f.w('ln_f.bias')];
    const mean = x.reduce((a, v) => a + v, 0) / C;
    const vr = x.reduce((a, v) => a + (v - mean) ** 2, 0) / C;
    for (let c = 0; c < C; c++) y[c] = ((x[c] - mean) / Math.sqrt(vr + (f.cfg.layer_norm_epsilon as number))) * g[c] + b[c];
  } else {
    const g = f.w('model.norm.weight');
    const offset = family.startsWith('gemma') ? 1 : 0; // Gemma's RMSNorm scales by (1 + w)
    const ms = x.reduce((a, v) => a + v * v, 0) / C;
    for (let c = 0; c < C; c++) y[c] = (x[c] / Math.sqrt(ms + (f.cfg.rms_norm_eps as number))) * (offset + g[c]);
  }
  const cap = (f.cfg.final_logit_softcapping as number | null) ?? 0;
  const logits = new Float64Array(V);
  for (let v = 0; v < V; v++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += y[c] * wte[v * C + c];
    logits[v] = cap ? cap * Math.tanh(s / cap) : s;
  }
  return softmax(logits);
}

function softmax(x: ArrayLike<number>): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) m = Math.max(m, x[i]);
  const p = Float64Array.from(x, (v) => Math.exp(v - m));
  const z = p.reduce((a, v) => a + v, 0);
  return p.map((v) => v / z);
}

/** The engine's top k at one row against a full CPU distribution: probabilities close, ids equal except at near-ties. */
function expectTopk(name: string, ids: Uint32Array, probs: Float32Array, ref: Float64Array) {
  const order = Array.from(ref.keys()).sort((a, b) => ref[b] - ref[a] || a - b);
  const k = ids.length;
  expectClose(`${name} probs`, probs, order.slice(0, k).map((i) => ref[i]), 2e-5, 1e-3);
  for (let j = 0; j < k; j++) {
    expectClose(`${name} prob of id ${ids[j]}`, [probs[j]], [ref[ids[j]]], 2e-5, 1e-3);
    const nearTie = [j - 1, j + 1].some((i) => i >= 0 && i < order.length && Math.abs(ref[order[i]] - ref[order[j]]) < 1e-5);
    if (!nearTie) expect(ids[j], `${name} rank ${j}`).toBe(order[j]);
  }
}

const FAMILIES = ['gpt2', 'gemma3', 'gemma2', 'llama', 'qwen3'];

describe('logit lens against the HF fixtures', () => {
  for (const family of FAMILIES) {
    it(`${family}: every layer x position, and T = 1`, async () => {
      const f = await load(family);
      const { ref, model } = f;
      const L = model.cfg.nLayers;
      const k = 5;
      for (const [T, chunkRows] of [[ref.input_ids.length, 4], [1, undefined]] as const) {
        model.reset();
        const lens = await logitLens(model, ref.input_ids.slice(0, T), k, chunkRows); // 4-row chunks: chunking exercised
        expect(lens.hooks).toEqual(lensHooks(L));
        expect(lens.ids.length).toBe((L + 1) * T * k);
        for (let l = 0; l <= L; l++) {
          for (let t = 0; t < T; t++) {
            const x = l < L ? ref.resid_pre[l][t] : ref.resid_post[L - 1][t];
            const row = (l * T + t) * k;
            const [ids, probs] = [lens.ids.subarray(row, row + k), lens.probs.subarray(row, row + k)];
            expectTopk(`${family} T=${T} ${lens.hooks[l]} t=${t}`, ids, probs, lensRow(f, family, x));
            if (l === L) expectTopk(`${family} T=${T} final t=${t} vs reference logits`, ids, probs, softmax(ref.logits[t]));
          }
        }
      }
      model.destroy();
    });
  }
});

/**
 * The attention weights (NH, p + 1) of position p at layer l, from reference.json's resid_pre[l]
 * with plain loops: the layer's input norm, q/k projections (QK-norm, RoPE for the decoders),
 * scaled scores, soft-cap, causal mask and sliding window, softmax. The config's derived fields
 * (window per layer, RoPE frequencies, scale) come from the parsed config.
 */
function patternRef(f: Fixture, family: string, l: number, p: number): Float64Array {
  const x = f.ref.resid_pre[l];
  const C = x[0].length;
  const gpt2 = family === 'gpt2';
  const dc = f.model.cfg as unknown as DecoderConfig;
  const NH = f.model.cfg.nHeads;
  const NKV = gpt2 ? NH : dc.nKvHeads;
  const HS = gpt2 ? C / NH : dc.dHead;
  const rms = (v: number[] | Float64Array, w: Float32Array, eps: number, offset: number) => {
    let ms = 0;
    for (const u of v) ms += (u * u) / v.length;
    return Float64Array.from(v, (u, i) => (u / Math.sqrt(ms + eps)) * (offset + w[i]));
  };
  const offset = family.startsWith('gemma') ? 1 : 0;
  const invFreq = gpt2 ? null : ropeInvFreq(dc.layers[l].rope, HS);
  // q or k heads of position j: (heads, HS)
  const proj = (j: number, which: 'q' | 'k'): Float64Array[] => {
    const heads = which === 'q' ? NH : NKV;
    if (gpt2) {
      const [g, b] = [f.w(`h.${l}.ln_1.weight`), f.w(`h.${l}.ln_1.bias`)];
      const mean = x[j].reduce((a, v) => a + v, 0) / C;
      const vr = x[j].reduce((a, v) => a + (v - mean) ** 2, 0) / C;
      const y = x[j].map((v, c) => ((v - mean) / Math.sqrt(vr + (f.cfg.layer_norm_epsilon as number))) * g[c] + b[c]);
      const [W, bias] = [f.w(`h.${l}.attn.c_attn.weight`), f.w(`h.${l}.attn.c_attn.bias`)]; // Conv1D (C, 3C)
      const off = which === 'q' ? 0 : C;
      return Array.from({ length: heads }, (_, h) => Float64Array.from({ length: HS }, (_, d) => {
        let s = bias[off + h * HS + d];
        for (let c = 0; c < C; c++) s += y[c] * W[c * 3 * C + off + h * HS + d];
        return s;
      }));
    }
    const pre = `model.layers.${l}.`;
    const y = rms(x[j], f.w(`${pre}input_layernorm.weight`), dc.rmsNormEps, offset);
    const W = f.w(`${pre}self_attn.${which}_proj.weight`); // nn.Linear (heads * HS, C)
    return Array.from({ length: heads }, (_, h) => {
      let v: Float64Array = Float64Array.from({ length: HS }, (_, d) => {
        let s = 0;
        for (let c = 0; c < C; c++) s += y[c] * W[(h * HS + d) * C + c];
        return s;
      });
      if (dc.qkNorm) v = rms(v, f.w(`${pre}self_attn.${which}_norm.weight`), dc.rmsNormEps, offset);
      const half = HS / 2; // HF's rotate_half: pairs (i, i + HS/2)
      const out = new Float64Array(HS);
      for (let i = 0; i < half; i++) {
        const a = j * invFreq![i];
        out[i] = v[i] * Math.cos(a) - v[i + half] * Math.sin(a);
        out[i + half] = v[i + half] * Math.cos(a) + v[i] * Math.sin(a);
      }
      return out;
    });
  };
  const scale = gpt2 ? 1 / Math.sqrt(HS) : dc.attnScale;
  const cap = gpt2 ? 0 : dc.attnSoftcap;
  const window = gpt2 ? 0 : dc.layers[l].window;
  const first = window > 0 ? Math.max(0, p - window + 1) : 0;
  const q = proj(p, 'q');
  const ks = Array.from({ length: p + 1 }, (_, j) => (j >= first ? proj(j, 'k') : null));
  const out = new Float64Array(NH * (p + 1));
  for (let h = 0; h < NH; h++) {
    const kv = Math.floor(h / (NH / NKV));
    const s = Array.from({ length: p + 1 }, (_, j) => {
      if (!ks[j]) return -Infinity;
      let d = 0;
      for (let i = 0; i < HS; i++) d += q[h][i] * ks[j]![kv][i];
      return cap ? cap * Math.tanh((d * scale) / cap) : d * scale;
    });
    const w = softmax(s);
    out.set(w, h * (p + 1));
  }
  return out;
}

describe('attention patterns against the HF fixtures', () => {
  for (const family of FAMILIES) {
    it(`${family}: every layer and head at positions 0, 6 and the last`, async () => {
      const f = await load(family);
      const { model, ref } = f;
      const { nLayers: L, nHeads: NH } = model.cfg;
      for (const p of [0, 6, ref.input_ids.length - 1]) {
        model.reset();
        const out = await model.forward(ref.input_ids.slice(0, p + 1), { logits: 'none', pattern: true });
        const w = out.pattern!;
        expect(w.length).toBe(L * NH * (p + 1));
        for (let l = 0; l < L; l++) {
          const got = w.subarray(l * NH * (p + 1), (l + 1) * NH * (p + 1));
          for (let h = 0; h < NH; h++) expect(Math.abs(got.subarray(h * (p + 1), (h + 1) * (p + 1)).reduce((a, v) => a + v, 0) - 1), `layer ${l} head ${h} sums to 1`).toBeLessThan(1e-5);
          expectClose(`${family} layer ${l} position ${p}`, got, patternRef(f, family, l, p), 2e-5, 1e-3);
        }
      }
      model.destroy();
    });
  }
});

describe('Engine.logitLens and Engine.attentionPattern', () => {
  it('a random GPT-2 through the engine: the output row is the forward logits, patterns sum to 1, bad requests are refused', async () => {
    const engine = new Engine();
    await engine.load(randomModelSource(2, 48));
    const text = 'the lens, read at each layer';
    const lens = await engine.logitLens({ text, k: 7 });
    const T = lens.ids.length;
    const L = lens.hooks.length - 1;
    expect(lens.hooks).toEqual(lensHooks(L));
    expect([lens.topIds.length, lens.topProbs.length, lens.topPieces.length]).toEqual([(L + 1) * T * 7, (L + 1) * T * 7, (L + 1) * T * 7]);
    const fwd = await engine.forward({ text, logits: 'all' });
    const V = fwd.logits.length / T;
    for (let t = 0; t < T; t++) {
      const row = (L * T + t) * 7;
      expectTopk(`output row t=${t}`, lens.topIds.subarray(row, row + 7), lens.topProbs.subarray(row, row + 7), softmax(fwd.logits.subarray(t * V, (t + 1) * V)));
    }
    for (const position of [0, 5, T - 1]) {
      const pat = await engine.attentionPattern({ text, position });
      expect(pat.weights.length).toBe(pat.nLayers * pat.nHeads * (position + 1));
      for (let r = 0; r < pat.nLayers * pat.nHeads; r++) {
        expect(Math.abs(pat.weights.subarray(r * (position + 1), (r + 1) * (position + 1)).reduce((a, v) => a + v, 0) - 1)).toBeLessThan(1e-5);
      }
    }
    // position 0 has one key: weight 1 in every head
    expect([...(await engine.attentionPattern({ text, position: 0 })).weights].every((w) => Math.abs(w - 1) < 1e-6)).toBe(true);
    await expect(engine.attentionPattern({ text, position: T })).rejects.toThrow(/position must be 0\.\./);
    await expect(engine.logitLens({ text, k: 65 })).rejects.toThrow(/k must be 1\.\.64/);
    await engine.dispose();
  });

  it('chunks: (L+1) T V logits never exceed the chunk budget or the binding limit', () => {
    expect(lensChunkRows(50257, 128 * 2 ** 20, 13 * 1024)).toBe(333); // GPT-2 small: 64 MiB / (V * 4)
    expect(lensChunkRows(262144, 2 ** 30, 19 * 100)).toBe(64); // Gemma 3: 1 MiB a row
    expect(lensChunkRows(262144, 16 * 2 ** 20, 19 * 100)).toBe(16); // a small binding limit wins
    expect(lensChunkRows(384, 2 ** 30, 7)).toBe(7); // never more than the rows
    expect(lensChunkRows(2 ** 26, 2 ** 20, 5)).toBe(1); // at least one row
  });
});
