// Sampling on the GPU for one generation stream: the seeded RNG's state lives in a GPU buffer and
// the sample kernel advances it, so decode reads back the chosen id (and, when asked, the topN best
// candidates) instead of the whole logits row. Same seed, same ids as sample() on the CPU.
import { createBuffer } from '../gpu/buffers';
import type { Dispatch, Gpu, Step } from '../gpu/gpu';
import { sample, sampleWords } from '../kernels/sample';
import { checkSampling, type SamplingOptions } from './sampling';

export class GpuSampler {
  /** (1) mulberry32 state, as Rng's after the draws so far. */
  readonly rng: GPUBuffer;
  /** (sampleWords(topN)) u32: the last sample's output. */
  readonly out: GPUBuffer;
  private dispatch: { logits: GPUBuffer; d: Dispatch } | null = null;

  constructor(
    readonly gpu: Gpu,
    readonly sampling: SamplingOptions,
    seed: number,
    /** How many top candidates (ids, logits, probabilities) to read back with each id; 0 = none. */
    readonly topN = 0,
  ) {
    checkSampling(sampling);
    this.rng = createBuffer(gpu.device, 'sampler.rng (1)', 4);
    gpu.device.queue.writeBuffer(this.rng, 0, Uint32Array.of(seed >>> 0));
    this.out = createBuffer(gpu.device, `sampler.out (${this.words})`, this.words * 4);
  }

  get words(): number {
    return sampleWords(this.topN);
  }

  /** The sampling dispatch over logits (V), built once per logits buffer. */
  steps(logits: GPUBuffer, V: number): Step[] {
    if (this.dispatch?.logits !== logits) {
      if (this.dispatch) this.gpu.release([this.dispatch.d]);
      const d = sample(this.gpu, { logits, rng: this.rng, out: this.out, V, sampling: this.sampling, topN: this.topN, label: 'sample' });
      this.dispatch = { logits, d };
    }
    return [this.dispatch.d];
  }

  destroy(): void {
    if (this.dispatch) this.gpu.release([this.dispatch.d]);
    this.dispatch = null;
    this.rng.destroy();
    this.out.destroy();
  }
}
