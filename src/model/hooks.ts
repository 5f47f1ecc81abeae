// TransformerLens hook names for the residual stream.
import { EngineStateError } from '../errors';
export type HookKind = 'hook_resid_pre' | 'hook_resid_mid' | 'hook_resid_post';
export type HookName = `blocks.${number}.${HookKind}`;
/** TransformerLens's attention weights (batch, head, query, key); the forward gives one query's. */
export type PatternHook = `blocks.${number}.attn.hook_pattern`;

export function parseHook(name: string, nLayers: number): { layer: number; kind: HookKind } {
  const m = /^blocks\.(\d+)\.(hook_resid_pre|hook_resid_mid|hook_resid_post)$/.exec(name);
  if (!m) throw new EngineStateError(`Unknown hook "${name}": use blocks.L.hook_resid_pre, hook_resid_mid or hook_resid_post`);
  const layer = Number(m[1]);
  if (layer >= nLayers) throw new EngineStateError(`Hook "${name}": the model has layers 0..${nLayers - 1}`);
  return { layer, kind: m[2] as HookKind };
}
