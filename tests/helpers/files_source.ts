import type { ModelSource } from '../../src/worker/api';
import { BYTE_TOKENIZER_CONFIG, BYTE_TOKENIZER_VOCAB, byteTokenizerJson, EOT_ID } from './byte_tokenizer';
import { randomGpt2Files } from './random_model';

const enc = new TextEncoder();
const buf = (b: Uint8Array | string): ArrayBuffer => (typeof b === 'string' ? enc.encode(b) : b).slice().buffer as ArrayBuffer;

/** A random model with the byte tokenizer (2 layers, C = 96, 3 heads unless `dims` says), as the files a model folder holds. */
export function randomModelSource(
  seed = 1, nCtx = 48, dims: { nLayers?: number; dModel?: number; nHeads?: number } = {},
): ModelSource & { kind: 'files'; files: Record<string, ArrayBuffer> } {
  const m = randomGpt2Files({ nLayers: 2, dModel: 96, nHeads: 3, ...dims, vocab: BYTE_TOKENIZER_VOCAB, nCtx, seed });
  const config = JSON.stringify({ ...JSON.parse(m.config), bos_token_id: EOT_ID, eos_token_id: EOT_ID });
  return {
    kind: 'files',
    files: {
      'config.json': buf(config),
      'model.safetensors': buf(m.safetensors),
      'tokenizer.json': buf(byteTokenizerJson()),
      'tokenizer_config.json': buf(BYTE_TOKENIZER_CONFIG),
    },
  };
}
