// Which SAE format a source holds, by its files: a Gemma Scope params.npz, a Gemma Scope 2 folder
// (config.json + params.safetensors) or a SAELens folder (cfg.json + sae_weights.safetensors).
// Local files are listed, so the choice is made up front; a URL folder is probed, cfg.json first.
import { EngineStateError, ModelFileError } from '../errors';
import { parseSafetensors } from '../model/safetensors';
import { parseSaeLensConfig, saeLensWeights, type SaeConfig, type SaeOverrides, type SaeWeights } from './formats';
import { GS2_CONFIG, GS2_PARAMS, parseGemmaScope2 } from './gemma_scope2';
import { parseGemmaScopeNpz } from './npz';

const FORMATS = 'An SAE folder holds cfg.json + sae_weights.safetensors (SAELens), config.json + params.safetensors (Gemma Scope 2) or params.npz (Gemma Scope).';
const decoder = new TextDecoder();

/** Reads one of the SAE's files whole; null when an optional one is absent. */
export type ReadFile = (file: string, optional: boolean) => Promise<ArrayBuffer | null>;

/**
 * listed: the names of the given files (local files), or null for a URL folder.
 * folder: the folder's path or URL, which names the layer of a Gemma Scope 2 SAE.
 */
export async function readSae(read: ReadFile, listed: string[] | null, overrides: SaeOverrides = {}, folder = ''): Promise<{ cfg: SaeConfig; weights: SaeWeights }> {
  const need = async (file: string, why: string) => {
    if (listed && !listed.includes(file)) throw new ModelFileError(file, `was not among the files given: ${why}`);
    return (await read(file, false))!;
  };
  if (listed?.includes('params.npz')) {
    const hook = overrides.hookName;
    if (!hook) throw new EngineStateError('A Gemma Scope params.npz does not say its layer: give overrides.hookName (e.g. blocks.20.hook_resid_post).');
    return parseGemmaScopeNpz((await read('params.npz', false))!, hook);
  }
  let cfgBuf: ArrayBuffer | null = null;
  if (listed) {
    const gs2 = listed.includes(GS2_PARAMS) || (listed.includes(GS2_CONFIG) && !listed.includes('cfg.json'));
    if (!gs2) cfgBuf = await need('cfg.json', FORMATS);
  } else {
    cfgBuf = await read('cfg.json', true);
  }
  if (cfgBuf) {
    const cfg = parseSaeLensConfig(decoder.decode(cfgBuf), 'cfg.json', overrides);
    const w = await need('sae_weights.safetensors', 'a SAELens folder holds cfg.json and sae_weights.safetensors.');
    return { cfg, weights: saeLensWeights(parseSafetensors(w, 'sae_weights.safetensors'), cfg) };
  }
  const gs2Cfg = listed ? await need(GS2_CONFIG, 'a Gemma Scope 2 folder holds config.json and params.safetensors.') : await read(GS2_CONFIG, true);
  if (!gs2Cfg) throw new ModelFileError('cfg.json', `could not be read from ${folder || 'the folder'}, nor could config.json. ${FORMATS}`);
  const params = await need(GS2_PARAMS, 'a Gemma Scope 2 folder holds config.json and params.safetensors.');
  return parseGemmaScope2(decoder.decode(gs2Cfg), params, overrides, folder);
}
