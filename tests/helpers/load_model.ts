import { expectedShapes, parseGpt2Config, type Gpt2Config } from '../../src/model/config';
import { parseSafetensors } from '../../src/model/safetensors';
import { roundToHalf } from '../../src/gpu/f16';
import { gpt2Weights, storedDtype, type Weights } from '../../src/model/weights';
import { randomGpt2Files, type RandomModelSpec } from './random_model';

/** The weights as f16 storage keeps them (the matrices rounded to halves): the CPU reference's input. */
export function halfWeights(cfg: Gpt2Config, w: Weights): Weights {
  return new Map([...expectedShapes(cfg)].map(([name, shape]) => [name, storedDtype(shape, 'f16') === 'f16' ? roundToHalf(w.get(name)!) : w.get(name)!]));
}

export function randomModel(spec: RandomModelSpec) {
  const files = randomGpt2Files(spec);
  const cfg = parseGpt2Config(files.config);
  const buf = files.safetensors.buffer.slice(0) as ArrayBuffer;
  const weights = gpt2Weights(parseSafetensors(buf, 'model.safetensors'), cfg);
  return { cfg, weights, files };
}
