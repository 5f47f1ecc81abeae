import type { WeightDtype } from '../../src/gpu/f16';
import type { Gpu } from '../../src/gpu/gpu';
import { parseGpt2Config } from '../../src/model/config';
import { parseModelConfig, readModelWeights } from '../../src/model/load';
import { openSourceFile } from '../../src/store/sources';
import { parseSafetensors } from '../../src/model/safetensors';
import { gpt2Weights } from '../../src/model/weights';
import { randomGpt2Files, type RandomModelSpec } from './random_model';

export { halfWeights } from '../../src/model/weights';

export function randomModel(spec: RandomModelSpec) {
  const files = randomGpt2Files(spec);
  const cfg = parseGpt2Config(files.config);
  const buf = files.safetensors.buffer.slice(0) as ArrayBuffer;
  const weights = gpt2Weights(parseSafetensors(buf, 'model.safetensors'), cfg);
  return { cfg, weights, files };
}

/**
 * A model built the way the engine builds one: the files opened as Blobs, headers checked, every
 * tensor streamed to the GPU. `files` maps the names the loader asks for to their bytes.
 */
export async function buildFromFiles(gpu: Gpu, files: Record<string, ArrayBuffer | Blob>, dtype: WeightDtype = 'f32') {
  const read = (f: string, optional: boolean) => openSourceFile({ kind: 'files', files }, f, optional);
  const config = parseModelConfig(await (await read('config.json', false))!.text());
  const weights = await readModelWeights(config, read);
  return { config, model: await weights.build(gpu, dtype) };
}
