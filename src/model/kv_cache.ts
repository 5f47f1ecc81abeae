// The KV cache, kept on the GPU: per layer, keys and values of every position so far.
import { createBuffer } from '../gpu/buffers';

export class KvCache {
  readonly k: GPUBuffer[] = []; // per layer (n_ctx, C)
  readonly v: GPUBuffer[] = []; // per layer (n_ctx, C)
  /** Positions filled so far; the next token goes at this position. */
  length = 0;

  constructor(device: GPUDevice, nLayers: number, readonly nCtx: number, C: number) {
    for (let l = 0; l < nLayers; l++) {
      this.k.push(createBuffer(device, `blocks.${l}.k_cache`, nCtx * C * 4));
      this.v.push(createBuffer(device, `blocks.${l}.v_cache`, nCtx * C * 4));
    }
  }

  get free(): number {
    return this.nCtx - this.length;
  }

  destroy(): void {
    for (const b of [...this.k, ...this.v]) b.destroy();
  }
}
