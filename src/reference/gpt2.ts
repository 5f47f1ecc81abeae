// The plain-loop CPU GPT-2 forward, built from the CPU twins of the kernels. Tests only: it is
// the yardstick the GPU forward is held to. Returns logits at every position and every hook.
import type { Gpt2Config } from '../model/config';
import type { Weights } from '../model/weights';
import { addRef } from './add';
import { gpt2Heads } from '../kernels/attention';
import { attentionRef } from './attention';
import { embedRef } from './embed';
import { geluRef } from './gelu';
import { kvAppendRef } from './kv_append';
import { layernormRef } from './layernorm';
import { logitsRef } from './logits';
import { matmulRef } from './matmul';

/** `edit` may replace the residual at any hook point (e.g. an SAE steering edit). */
export function gpt2Ref(cfg: Gpt2Config, w: Weights, ids: number[], edit?: (hook: string, x: Float32Array) => Float32Array) {
  const T = ids.length;
  const { dModel: C, dMlp, nHeads: NH, vocabSize: V, layerNormEps: eps } = cfg;
  const g = (n: string) => w.get(n)!;
  const hooks: Record<string, Float32Array> = {};
  let x = embedRef(ids, g('wte.weight'), g('wpe.weight'), C);
  for (let l = 0; l < cfg.nLayers; l++) {
    const h = `h.${l}`;
    hooks[`blocks.${l}.hook_resid_pre`] = x;
    if (edit) x = edit(`blocks.${l}.hook_resid_pre`, x);
    const ln1 = layernormRef(x, g(`${h}.ln_1.weight`), g(`${h}.ln_1.bias`), T, C, eps);
    const qkv = matmulRef(ln1, g(`${h}.attn.c_attn.weight`), g(`${h}.attn.c_attn.bias`), T, 3 * C, C);
    const k = new Float32Array(T * C);
    const v = new Float32Array(T * C);
    kvAppendRef(qkv, k, v, T, C, 0);
    const att = attentionRef(qkv, k, v, T, 0, gpt2Heads(C, NH));
    x = addRef(x, matmulRef(att, g(`${h}.attn.c_proj.weight`), g(`${h}.attn.c_proj.bias`), T, C, C));
    hooks[`blocks.${l}.hook_resid_mid`] = x;
    if (edit) x = edit(`blocks.${l}.hook_resid_mid`, x);
    const ln2 = layernormRef(x, g(`${h}.ln_2.weight`), g(`${h}.ln_2.bias`), T, C, eps);
    const fc = geluRef(matmulRef(ln2, g(`${h}.mlp.c_fc.weight`), g(`${h}.mlp.c_fc.bias`), T, dMlp, C));
    x = addRef(x, matmulRef(fc, g(`${h}.mlp.c_proj.weight`), g(`${h}.mlp.c_proj.bias`), T, C, dMlp));
    hooks[`blocks.${l}.hook_resid_post`] = x;
    if (edit) x = edit(`blocks.${l}.hook_resid_post`, x);
  }
  const lnf = layernormRef(x, g('ln_f.weight'), g('ln_f.bias'), T, C, eps);
  return { logits: logitsRef(lnf, g('wte.weight'), 0, T, C, V), hooks };
}
