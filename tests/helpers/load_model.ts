import { uploadTensor } from '../../src/gpu/buffers';
import { roundToHalf, type WeightDtype } from '../../src/gpu/f16';
import type { Gpu } from '../../src/gpu/gpu';
import { parseGpt2Config } from '../../src/model/config';
import { parseModelConfig, readModelWeights } from '../../src/model/load';
import { openSourceFile } from '../../src/store/sources';
import { parseSafetensors } from '../../src/model/safetensors';
import { gpt2Weights, storedDtype } from '../../src/model/weights';
import { Decoder } from '../../src/model/decoder';
import type { DecoderConfig } from '../../src/model/decoder_config';
import { decoderGpuShapes } from '../../src/model/decoder_prep';
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

/**
 * A Decoder from its GPU-layout tensors as f32 (decoderGpuShapes: randomDecoder's or
 * decoderWeightsF32's), uploaded the way the loader stores them: matrices as `dtype`, vectors f32.
 */
export function decoderFromWeights(gpu: Gpu, cfg: DecoderConfig, w: ReadonlyMap<string, Float32Array>, dtype: WeightDtype = 'f32'): Decoder {
  const tensors = decoderGpuShapes(cfg).map(([name, shape]) => uploadTensor(gpu.device, name, shape, w.get(name)!, gpu.ctx.maxBinding, storedDtype(shape, dtype)));
  return new Decoder(gpu, cfg, tensors, dtype);
}

/** A decoder's GPU-layout tensors as f16 storage keeps them: the matrices rounded to halves, the vectors as they are. */
export function halfDecoderWeights(cfg: DecoderConfig, w: ReadonlyMap<string, Float32Array>): Map<string, Float32Array> {
  return new Map(decoderGpuShapes(cfg).map(([name, shape]) => [name, storedDtype(shape, 'f16') === 'f16' ? roundToHalf(w.get(name)!) : w.get(name)!]));
}
