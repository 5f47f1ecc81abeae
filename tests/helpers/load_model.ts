import { parseGpt2Config } from '../../src/model/config';
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
