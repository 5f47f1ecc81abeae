// Compute pipelines, compiled once per (shader, override constants) and cached. Shader sources
// come from shaders/*.wgsl through Vite's ?raw import, so the WGSL stays in real .wgsl files.
import type { WeightDtype } from './f16';

const sources = import.meta.glob(['../../shaders/*.wgsl', '../../shaders/common/*.wgsl'], {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;

/** The op name of a shader's variant for weights stored as `dtype` ("matmul", "matmul:f16"). */
export const weightOp = (op: string, dtype: WeightDtype): string => (dtype === 'f32' ? op : `${op}:${dtype}`);

/**
 * A shader's WGSL, with each `#include "common/x.wgsl"` line replaced by that file: WGSL has no
 * imports, and a helper shared by several ops lives once in shaders/common/. An op's name is the
 * shader's, then tags that pick variants of two includes:
 *   ":f16"  "common/weights.wgsl" is weights_f16.wgsl (else weights_f32.wgsl);
 *   ":sg"   "common/reduce.wgsl" is reduce_subgroup.wgsl (else reduce_wg.wgsl), and the module
 *           opens with `enable subgroups; requires subgroup_id;`.
 */
export function shaderSource(op: string): string {
  const [name, ...tags] = op.split(':');
  const src = sources[`../../shaders/${name}.wgsl`];
  if (src === undefined) throw new Error(`No shader named shaders/${name}.wgsl`);
  const sg = tags.includes('sg');
  const variant: Record<string, string> = {
    'common/weights.wgsl': `common/weights_${tags.includes('f16') ? 'f16' : 'f32'}.wgsl`,
    'common/reduce.wgsl': `common/reduce_${sg ? 'subgroup' : 'wg'}.wgsl`,
  };
  const code = src.replace(/^#include "([\w/.]+)"$/gm, (_, inc: string) => {
    const path = variant[inc] ?? inc;
    const text = sources[`../../shaders/${path}`];
    if (text === undefined) throw new Error(`shaders/${name}.wgsl includes a missing shaders/${path}`);
    return text;
  });
  return sg ? `enable subgroups;\nrequires subgroup_id;\n${code}` : code;
}

export type Constants = Record<string, number>;

/**
 * The workgroup size of a shader's entry point, with override constants applied: each of
 * `@workgroup_size(...)`'s arguments is a literal, or a `const` / `override` name whose value is
 * taken from `constants` or the declaration's default. Launch-shape checks count threads with it.
 */
export function workgroupSize(op: string, constants: Constants = {}): [number, number, number] {
  const src = shaderSource(op);
  const m = /@workgroup_size\(([^)]*)\)/.exec(src);
  if (!m) throw new Error(`shaders/${op}.wgsl has no @workgroup_size`);
  const value = (arg: string): number => {
    const t = arg.trim();
    if (/^\d+u?$/.test(t)) return parseInt(t, 10);
    if (t in constants) return constants[t];
    const decl = new RegExp(`(?:override|const)\\s+${t}\\s*:\\s*u32\\s*=\\s*(\\d+)u?\\s*;`).exec(src);
    if (!decl) throw new Error(`shaders/${op}.wgsl: cannot resolve workgroup size "${t}"`);
    return parseInt(decl[1], 10);
  };
  const dims = m[1].split(',').map(value);
  return [dims[0], dims[1] ?? 1, dims[2] ?? 1];
}

export class PipelineCache {
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly modules = new Map<string, GPUShaderModule>();

  constructor(private readonly device: GPUDevice) {}

  private key(op: string, constants: Constants): string {
    const c = Object.entries(constants).sort(([a], [b]) => a.localeCompare(b));
    return c.length ? `${op}(${c.map(([k, v]) => `${k}=${v}`).join(',')})` : op;
  }

  private module(op: string): GPUShaderModule {
    let m = this.modules.get(op);
    if (!m) {
      m = this.device.createShaderModule({ label: op, code: shaderSource(op) });
      this.modules.set(op, m);
    }
    return m;
  }

  private descriptor(op: string, constants: Constants): GPUComputePipelineDescriptor {
    return {
      label: this.key(op, constants),
      layout: 'auto',
      compute: { module: this.module(op), entryPoint: 'main', constants },
    };
  }

  get(op: string, constants: Constants = {}): GPUComputePipeline {
    const key = this.key(op, constants);
    let p = this.pipelines.get(key);
    if (!p) {
      p = this.device.createComputePipeline(this.descriptor(op, constants));
      this.pipelines.set(key, p);
    }
    return p;
  }

  /** Compiles pipelines ahead of the first prompt, in parallel where the browser allows. */
  async warm(list: Array<[string, Constants?]>): Promise<void> {
    await Promise.all(
      list.map(async ([op, constants = {}]) => {
        const key = this.key(op, constants);
        if (this.pipelines.has(key)) return;
        const p = await this.device.createComputePipelineAsync(this.descriptor(op, constants));
        this.pipelines.set(key, p);
      }),
    );
  }

  get size(): number {
    return this.pipelines.size;
  }
}
