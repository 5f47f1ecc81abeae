// Launch shapes on a real GPU, checked without one: the decode plan built for a GPU-class
// adapter on a recording device (tests/helpers/recording_device.ts), and the threads each
// dispatch launches (grid x @workgroup_size). A GPU like the H200 (132 SMs, 2048 threads each)
// needs tens of thousands of threads in flight to stream weights at its bandwidth, so every
// dispatch that streams a weight matrix must launch at least GPU_MIN_THREADS = 32k. No timing.
import '../helpers/recording_device';
import { describe, expect, it } from 'vitest';
import { emptyBuffer, recordingContext, type RecordedBindGroup } from '../helpers/recording_device';
import { rowsPerPart, type GpuTensor } from '../../src/gpu/buffers';
import { DTYPE_BYTES, type WeightDtype } from '../../src/gpu/f16';
import { GPU_MIN_THREADS, Gpu, type Dispatch } from '../../src/gpu/gpu';
import { expectedShapes, type Gpt2Config } from '../../src/model/config';
import { Gpt2 } from '../../src/model/gpt2';
import { storedDtype } from '../../src/model/weights';
import { logits } from '../../src/kernels/logits';
import { Decoder } from '../../src/model/decoder';
import { parseDecoderConfig } from '../../src/model/decoder_config';
import { expectedDecoderShapes } from '../../src/model/decoder_weights';
import { decoderGpuShapes } from '../../src/model/decoder_prep';
import { GEMMA2_2B, GEMMA3_1B, LLAMA32_1B, QWEN3_06B } from '../../src/model/hub_configs';

const gpt2Small: Gpt2Config = {
  modelType: 'gpt2', vocabSize: 50257, nCtx: 1024, dModel: 768, nLayers: 12, nHeads: 12, dHead: 64, dMlp: 3072,
  layerNormEps: 1e-5, bosTokenId: 50256, eosTokenId: 50256,
};
// Gemma-3-1B's widths, depth and vocabulary (d_model 1152, d_mlp 6912, 26 layers, V 262144) in
// the GPT-2 forward too; the decoder's own plan at real Hub shapes is checked below.
const gemma3_1bWidths: Gpt2Config = { ...gpt2Small, vocabSize: 262144, dModel: 1152, nLayers: 26, nHeads: 8, dHead: 144, dMlp: 6912 };

/** A storage-less weight tensor, split as the upload would split it. */
function storageless(name: string, shape: number[], dtype: WeightDtype, maxBinding: number): GpuTensor {
  const dt = storedDtype(shape, dtype);
  const per = rowsPerPart(shape, maxBinding, dt);
  const rowBytes = (DTYPE_BYTES[dt] * shape.reduce((a, b) => a * b, 1)) / shape[0];
  const parts = [];
  for (let row0 = 0; row0 < shape[0]; row0 += per) {
    const rows = Math.min(per, shape[0] - row0);
    parts.push({ buffer: emptyBuffer(name, rows * rowBytes), row0, rows });
  }
  return { name, shape, dtype: dt, parts };
}

/** Storage-less weight tensors of a GPT-2's shapes. */
function tensors(cfg: Gpt2Config, dtype: WeightDtype, maxBinding: number): Map<string, GpuTensor> {
  return new Map([...expectedShapes(cfg)].map(([name, shape]) => [name, storageless(name, shape, dtype, maxBinding)]));
}

const threads = (d: Dispatch) => d.threads * d.grid[0] * d.grid[1] * d.grid[2];

/**
 * The dispatches that stream a weight matrix: they bind a 2-D weight tensor. Exempt, with why:
 * embed binds wte and wpe but gathers only T rows of them (C values a token), not the matrix.
 */
function weightStreaming(steps: ReturnType<Gpt2['plan']>['steps'], w: Map<string, GpuTensor>): Dispatch[] {
  const matrices = new Set([...w.values()].filter((t) => t.shape.length === 2).flatMap((t) => t.parts.map((p) => p.buffer)));
  return steps.filter((s): s is Dispatch => s.kind === 'dispatch' && !s.label.startsWith('embed[') && (s.bindGroup as unknown as RecordedBindGroup).buffers.some((b) => matrices.has(b)));
}

describe('decode launch shapes on a GPU-class adapter', () => {
  for (const [name, cfg] of [['GPT-2 small', gpt2Small], ['Gemma-3-1B widths', gemma3_1bWidths]] as const) {
    for (const dtype of ['f32', 'f16'] as const) {
      it(`${name}, ${dtype} weights: every weight-streaming dispatch launches >= ${GPU_MIN_THREADS} threads`, () => {
        const ctx = recordingContext();
        const gpu = new Gpu(ctx);
        expect(gpu.adapterClass).toBe('gpu');
        const w = tensors(cfg, dtype, ctx.maxBinding);
        const model = new Gpt2(gpu, cfg, w, dtype);
        const plan = model.plan(1, [], 'last');
        const streaming = weightStreaming(plan.steps, w);
        // 4 linears a layer, and the LM head (one dispatch per wte part)
        const lmParts = w.get('wte.weight')!.parts.length;
        expect(streaming.length).toBe(4 * cfg.nLayers + lmParts);
        const starved = streaming.filter((d) => threads(d) < GPU_MIN_THREADS).map((d) => `${d.label}: ${threads(d)}`);
        expect(starved, 'dispatches below the thread floor').toEqual([]);
        // and every dispatch of the step is within WebGPU's grid limit
        for (const s of plan.steps) if (s.kind === 'dispatch') expect(Math.max(...s.grid)).toBeLessThanOrEqual(65535);
      });
    }
  }

  it('the CPU-adapter plan keeps one fused dispatch per linear (SwiftShader is tuned for few threads)', () => {
    const ctx = recordingContext();
    const gpu = new Gpu(ctx, { adapterClass: 'cpu' });
    const w = tensors(gpt2Small, 'f32', ctx.maxBinding);
    const plan = new Gpt2(gpu, gpt2Small, w).plan(1, [], 'last');
    expect(plan.steps.filter((s) => s.label.endsWith('.reduce'))).toEqual([]);
    expect(weightStreaming(plan.steps, w).length).toBe(4 * gpt2Small.nLayers + w.get('wte.weight')!.parts.length);
  });

  // The modern decoder's own decode plan at real Hub shapes. Its tensors are the GPU layout of
  // decoder_prep.ts: fused qkv (C, (NH + 2 NKV) HS), o, fused gate_up (C, 2F), down, embed.
  for (const [name, json] of [['Gemma-3-1B', GEMMA3_1B], ['Gemma-2-2B', GEMMA2_2B], ['Llama-3.2-1B', LLAMA32_1B], ['Qwen3-0.6B', QWEN3_06B]] as const) {
    it(`${name} decoder, f16 weights: every weight-streaming dispatch launches >= ${GPU_MIN_THREADS} threads`, () => {
      const ctx = recordingContext();
      const gpu = new Gpu(ctx);
      const cfg = parseDecoderConfig(JSON.stringify(json));
      const shapes = decoderGpuShapes(cfg);
      expect(expectedDecoderShapes(cfg).get('embed_tokens.weight')).toEqual([cfg.vocabSize, cfg.dModel]);
      const w = new Map(shapes.map(([n, shape]) => [n, storageless(n, shape, 'f16', ctx.maxBinding)]));
      const plan = new Decoder(gpu, cfg, w.values(), 'f16').plan(1, [], 'last');
      const streaming = weightStreaming(plan.steps, w);
      expect(streaming.length).toBe(4 * cfg.nLayers + w.get(cfg.tiedEmbeddings ? 'embed' : 'lm_head')!.parts.length);
      const starved = streaming.filter((d) => threads(d) < GPU_MIN_THREADS).map((d) => `${d.label}: ${threads(d)}`);
      expect(starved, 'dispatches below the thread floor').toEqual([]);
    });
  }

  // At the SAE's hook a decode step streams W_enc (C, S): src/sae/sae.ts runs it through the LM-head
  // kernel over W_enc^T. gpt2-small-res-jb (24576 x 768) and Gemma Scope 16k on Gemma-3-1B.
  it('the SAE encoder at decode launches enough threads', () => {
    const gpu = new Gpu(recordingContext());
    for (const [S, C] of [[24576, 768], [16384, 1152]]) {
      const wEncT: GpuTensor = { name: 'W_enc^T', shape: [S, C], dtype: 'f16', parts: [{ buffer: emptyBuffer('W_enc^T', S * C * 2), row0: 0, rows: S }] };
      const [d] = logits(gpu, { x: emptyBuffer('x_in', C * 4), wte: wEncT, out: emptyBuffer('f', S * 4), row0: 0, R: 1, C, V: S });
      expect(threads(d), `S=${S}`).toBeGreaterThanOrEqual(GPU_MIN_THREADS);
    }
  });
});
