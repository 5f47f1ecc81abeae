// The peer: onnxruntime-web's WebGPU execution provider on the same adapter, in the same page,
// running the same GPT-2 small shapes (tools/bench/export_onnx.py writes the graph). Prefill at
// T=128 and KV-cached decode, timed like Glassbox's: medians after a warm-up, the KV cache kept
// on the GPU between steps (gpu-buffer outputs fed back as inputs), last-token logits read back.
import * as ort from 'onnxruntime-web/webgpu';
import { argmax } from '../../src/model/sampling';
import { median } from './measure';

const MODEL_URL = '/bench/peer/gpt2-small.onnx';
const [L, NH, HS, V] = [12, 12, 64, 50257];


export interface PeerResult {
  name: string;
  prefill: { T: number; ms: number; tokensPerSec: number };
  decode: { steps: number; msPerStep: number; tokensPerSec: number };
  /** The last step's logits were all finite (a sanity check that the graph really ran). */
  finiteLogits: boolean;
}

export async function benchPeer(log: (s: string) => void): Promise<PeerResult | null> {
  const res = await fetch(MODEL_URL);
  if (!res.ok) {
    log(`peer: no ${MODEL_URL} (run /usr/bin/python3 tools/bench/export_onnx.py); not measured`);
    return null;
  }
  ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';
  ort.env.wasm.numThreads = 1; // wasm threads need cross-origin isolation; the graph runs on WebGPU
  const name = `onnxruntime-web ${ort.env.versions.web} (WebGPU EP)`;
  log(`${name}: creating the session`);
  const session = await ort.InferenceSession.create(new Uint8Array(await res.arrayBuffer()), {
    executionProviders: ['webgpu'],
    preferredOutputLocation: { logits: 'cpu', present_key: 'gpu-buffer', present_value: 'gpu-buffer' },
  });
  const emptyPast = () => new ort.Tensor('float32', new Float32Array(0), [L, NH, 0, HS]);
  type Past = { k: ort.Tensor; v: ort.Tensor };
  const step = async (ids: number[], past: Past): Promise<{ logits: Float32Array; past: Past }> => {
    const out = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
      past_key: past.k,
      past_value: past.v,
    });
    if (past.k.location === 'gpu-buffer') [past.k, past.v].forEach((t) => t.dispose());
    return { logits: out.logits.data as Float32Array, past: { k: out.present_key, v: out.present_value } };
  };

  const T = 128;
  const ids = Array.from({ length: T }, (_, i) => (i * 7919) % V);
  const prefillMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = await step(ids, { k: emptyPast(), v: emptyPast() });
    const dt = performance.now() - t0;
    [r.past.k, r.past.v].forEach((t) => t.dispose());
    log(`  peer prefill T=${T}: ${dt.toFixed(0)} ms${i ? '' : ' (warm-up)'}`);
    if (i > 0) prefillMs.push(dt);
  }
  const steps = 32;
  let r = await step(ids.slice(0, 8), { k: emptyPast(), v: emptyPast() });
  r = await step([argmax(r.logits)], r.past); // warm-up step
  const stepMs: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    r = await step([argmax(r.logits)], r.past);
    stepMs.push(performance.now() - t0);
  }
  const finiteLogits = r.logits.length === V && r.logits.every(Number.isFinite);
  [r.past.k, r.past.v].forEach((t) => t.dispose());
  await session.release();
  const ms = median(prefillMs);
  const msPerStep = median(stepMs);
  log(`  peer decode: ${msPerStep.toFixed(1)} ms/step`);
  return { name, prefill: { T, ms, tokensPerSec: T / (ms / 1000) }, decode: { steps, msPerStep, tokensPerSec: 1000 / msPerStep }, finiteLogits };
}
