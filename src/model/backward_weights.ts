// The weights a backward reads, by GPT-2 name: each as a GpuTensor (the forward's matmuls and
// embedding read any dtype) and as one f32 buffer (the VJP kernels read f32). A model stored as
// f32 serves both from its own tensors; one stored as f16 gets f32 copies of its matrices, widened
// on the GPU the first time a backward asks for each, kept until the model is destroyed.
import { createBuffer, uploadTensor, whole, type GpuTensor } from '../gpu/buffers';
import type { Gpu } from '../gpu/gpu';
import { widenF16 } from '../kernels/widen_f16';
import type { Weights } from './weights';

export interface BackwardWeights {
  tensor(name: string): GpuTensor;
  f32(name: string): GPUBuffer;
  destroy(): void;
}

/** A model's own tensors; f16 ones are widened to f32 on first use (owned here, freed by destroy). */
export function modelBackwardWeights(gpu: Gpu, tensors: ReadonlyMap<string, GpuTensor>): BackwardWeights {
  const wide = new Map<string, GPUBuffer>();
  const tensor = (name: string) => {
    const t = tensors.get(name);
    if (!t) throw new Error(`backward: the model has no tensor ${name}`);
    return t;
  };
  return {
    tensor,
    f32(name) {
      const t = tensor(name);
      if (t.dtype === 'f32') return whole(t);
      let b = wide.get(name);
      if (!b) {
        const n = t.shape.reduce((a, c) => a * c, 1);
        b = createBuffer(gpu.device, `${name} (f32 for the backward)`, n * 4);
        const step = widenF16(gpu, { src: whole(t), out: b, n, label: `widen ${name}` });
        gpu.run([step], `widen ${name}`);
        gpu.release([step]);
        wide.set(name, b);
      }
      return b;
    },
    destroy() {
      for (const b of wide.values()) b.destroy();
      wide.clear();
    },
  };
}

/** f32 copies of `weights` (each whole), uploaded on first use: for tests and small models. */
export function uploadedBackwardWeights(gpu: Gpu, shapes: ReadonlyMap<string, number[]>, weights: Weights): BackwardWeights {
  const made = new Map<string, GpuTensor>();
  const tensor = (name: string) => {
    let t = made.get(name);
    if (!t) {
      const data = weights.get(name);
      const shape = shapes.get(name);
      if (!data || !shape) throw new Error(`backward: no weight ${name}`);
      made.set(name, (t = uploadTensor(gpu.device, name, shape, data, Infinity)));
    }
    return t;
  };
  return {
    tensor,
    f32: (name) => whole(tensor(name)),
    destroy() {
      for (const t of made.values()) for (const p of t.parts) p.buffer.destroy();
      made.clear();
    },
  };
}
