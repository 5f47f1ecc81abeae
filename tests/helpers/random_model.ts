// A random GPT-2-layout checkpoint, written as real files (config.json + model.safetensors) so
// tests go through the same parsing as a downloaded model.
import { Rng } from '../../src/model/rng';
import { writeSafetensors } from '../../src/model/safetensors';

export interface RandomModelSpec {
  nLayers: number;
  dModel: number;
  nHeads: number;
  vocab: number;
  nCtx: number;
  seed: number;
  /** Prefix every key with "transformer." as GPT2LMHeadModel checkpoints do. */
  prefix?: boolean;
}

export function randomGpt2Files(s: RandomModelSpec): { config: string; safetensors: Uint8Array } {
  const rng = new Rng(s.seed);
  const C = s.dModel;
  const t: Record<string, { shape: number[]; data: Float32Array }> = {};
  const p = s.prefix ? 'transformer.' : '';
  const mat = (name: string, shape: number[], scale: number) =>
    (t[p + name] = { shape, data: rng.array(shape.reduce((a, b) => a * b, 1), scale) });
  const ln = (name: string) => {
    t[`${p}${name}.weight`] = { shape: [C], data: rng.array(C, 0.1).map((v) => 1 + v) };
    t[`${p}${name}.bias`] = { shape: [C], data: rng.array(C, 0.1) };
  };
  mat('wte.weight', [s.vocab, C], 0.5);
  mat('wpe.weight', [s.nCtx, C], 0.3);
  for (let l = 0; l < s.nLayers; l++) {
    const h = `h.${l}`;
    ln(`${h}.ln_1`);
    mat(`${h}.attn.c_attn.weight`, [C, 3 * C], 0.3);
    mat(`${h}.attn.c_attn.bias`, [3 * C], 0.1);
    mat(`${h}.attn.c_proj.weight`, [C, C], 0.2);
    mat(`${h}.attn.c_proj.bias`, [C], 0.1);
    ln(`${h}.ln_2`);
    mat(`${h}.mlp.c_fc.weight`, [C, 4 * C], 0.2);
    mat(`${h}.mlp.c_fc.bias`, [4 * C], 0.1);
    mat(`${h}.mlp.c_proj.weight`, [4 * C, C], 0.1);
    mat(`${h}.mlp.c_proj.bias`, [C], 0.1);
  }
  ln('ln_f');
  const config = JSON.stringify({
    model_type: 'gpt2',
    architectures: ['GPT2LMHeadModel'],
    vocab_size: s.vocab,
    n_positions: s.nCtx,
    n_embd: C,
    n_layer: s.nLayers,
    n_head: s.nHeads,
    n_inner: null,
    activation_function: 'gelu_new',
    layer_norm_epsilon: 1e-5,
    bos_token_id: s.vocab - 1,
    eos_token_id: s.vocab - 1,
  });
  return { config, safetensors: writeSafetensors(t) };
}
