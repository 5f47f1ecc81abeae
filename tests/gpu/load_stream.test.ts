// Weights stream to the GPU from a Blob (a local File, a cached download) a slice at a time, with
// every value checked to be finite; a load that fails leaves the loaded model in place.
import { describe, expect, it } from 'vitest';
import { readBuffer } from '../../src/gpu/buffers';
import { toHalf, type WeightDtype } from '../../src/gpu/f16';
import { parseSafetensors } from '../../src/model/safetensors';
import { inMemory } from '../../src/model/tensor_rows';
import { uploadRows } from '../../src/model/upload';
import { Engine } from '../../src/worker/engine';
import { byteTokenizerJson } from '../helpers/byte_tokenizer';
import { randomModelSource } from '../helpers/files_source';
import { getGpu } from './gpu';

/** Records every slice read from it; reading it whole fails the test. */
class SpyBlob extends Blob {
  constructor(
    parts: BlobPart[],
    readonly reads: number[] = [],
  ) {
    super(parts);
  }
  override slice(start?: number, end?: number): Blob {
    const b = super.slice(start, end);
    this.reads.push(b.size);
    return b;
  }
  override arrayBuffer(): Promise<ArrayBuffer> {
    throw new Error('the whole file was read into memory');
  }
}

function seeded(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5) * 4);
}

/** The float at [row, col] of a tensor in a safetensors file, set to v (F32 tensors). */
function poke(file: ArrayBuffer, tensor: string, index: number, v: number): ArrayBuffer {
  const out = file.slice(0);
  const t = parseSafetensors(out, 'model.safetensors').tensors.get(tensor)!;
  new DataView(out).setFloat32(t.begin + 4 * index, v, true);
  return out;
}

describe('streamed upload', () => {
  const cases: Array<{ shape: number[]; dtype: WeightDtype; chunkBytes: number; maxBinding?: number }> = [
    { shape: [7, 5], dtype: 'f16', chunkBytes: 20 }, // odd f16 rows: pairs of rows per write, last one padded
    { shape: [13, 3], dtype: 'f32', chunkBytes: 24, maxBinding: 5 * 3 * 4 }, // parts of 5 rows, chunks of 2
    { shape: [9, 6], dtype: 'f16', chunkBytes: 1 << 20, maxBinding: 4 * 6 * 2 }, // parts of 4 rows, one chunk each
    { shape: [11], dtype: 'f32', chunkBytes: 8 },
  ];
  for (const { shape, dtype, chunkBytes, maxBinding } of cases) {
    it(`[${shape}] as ${dtype}, chunks of ${chunkBytes} B${maxBinding ? `, parts of ${maxBinding} B` : ''}: the bytes uploadTensor would write`, async () => {
      const gpu = await getGpu();
      const data = seeded(shape.reduce((a, b) => a * b, 1), shape.length * 7 + chunkBytes);
      const reads: number[] = [];
      const src = inMemory(shape, data);
      const t = await uploadRows(gpu, 'w', { shape, read: (r0, n) => (reads.push(n!), src.read(r0, n)) }, dtype, { chunkBytes, maxBinding });
      const rowLen = shape.slice(1).reduce((a, b) => a * b, 1);
      let row = 0;
      for (const p of t.parts) {
        expect(p.row0).toBe(row);
        const want = data.subarray(p.row0 * rowLen, (p.row0 + p.rows) * rowLen);
        const got = await readBuffer(gpu.device, p.buffer, want.length * (dtype === 'f16' ? 2 : 4));
        expect(Array.from(dtype === 'f16' ? new Uint16Array(got) : new Float32Array(got))).toEqual(Array.from(dtype === 'f16' ? toHalf(want) : want));
        row += p.rows;
      }
      expect(row).toBe(shape[0]);
      if (maxBinding) expect(t.parts.length).toBeGreaterThan(1);
      expect(reads.length).toBeGreaterThan(1);
      for (const p of t.parts) p.buffer.destroy();
    });
  }
});

describe('loading from Blobs', () => {
  it('reads the weights in slices no larger than a tensor, never the whole file, and gives the same model', async () => {
    const source = randomModelSource(3);
    const blob = new SpyBlob([source.files['model.safetensors']]);
    const engine = new Engine();
    await engine.load(source);
    const want = await engine.forward({ text: 'stream me', logits: 'all' });
    await engine.load({ ...source, files: { ...source.files, 'model.safetensors': blob } });
    const got = await engine.forward({ text: 'stream me', logits: 'all' });
    expect(Array.from(got.logits)).toEqual(Array.from(want.logits));
    const st = parseSafetensors(source.files['model.safetensors'], 'model.safetensors');
    const biggest = Math.max(...[...st.tensors.values()].map((t) => t.end - t.begin));
    expect(blob.reads.length).toBeGreaterThan(st.tensors.size);
    expect(Math.max(...blob.reads)).toBeLessThanOrEqual(biggest);
    await engine.dispose();
  });
});

describe('non-finite weights', () => {
  it('a NaN or an Inf is a ModelFileError naming the tensor and where; the loaded model stays and works', async () => {
    const source = randomModelSource(4);
    const engine = new Engine();
    const before = await engine.load(source);
    const logits = (await engine.forward({ text: 'keep me' })).logits;
    const C = before.config.dModel;
    for (const [tensor, index, v] of [['wte.weight', 3 * C + 5, NaN], ['h.1.mlp.c_proj.weight', 17, -Infinity]] as const) {
      const bad = poke(source.files['model.safetensors'], tensor, index, v);
      const err = await engine.load({ ...source, files: { ...source.files, 'model.safetensors': bad } }).catch((e) => e);
      expect(err).toMatchObject({ name: 'ModelFileError', tensor });
      expect(err.message).toMatch(tensor === 'wte.weight' ? /NaN at \[3, 5\]/ : /-Infinity at \[0, 17\]/);
      expect(err.message).toMatch(/model\.safetensors/);
      expect(await engine.info()).toEqual(before);
      expect(Array.from((await engine.forward({ text: 'keep me' })).logits)).toEqual(Array.from(logits));
    }
    await engine.dispose();
  });

  it('in a Gemma 3 checkpoint, names the Hub tensor', async () => {
    const get = async (f: string) => (await fetch(`/tests/fixtures/hf/gemma3-seed1/${f}`)).arrayBuffer();
    const files = { 'config.json': await get('config.json'), 'model.safetensors': await get('model.safetensors'), 'tokenizer.json': new TextEncoder().encode(byteTokenizerJson()).buffer as ArrayBuffer };
    const names = [...parseSafetensors(files['model.safetensors'], 'm').tensors.keys()];
    const tensor = names.find((n) => n.endsWith('layers.1.self_attn.k_proj.weight'))!;
    const engine = new Engine();
    const err = await engine.load({ kind: 'files', files: { ...files, 'model.safetensors': poke(files['model.safetensors'], tensor, 40, Infinity) } }).catch((e) => e);
    expect(err).toMatchObject({ name: 'ModelFileError', tensor });
    await expect(engine.forward({ text: 'a' })).rejects.toMatchObject({ name: 'EngineStateError' });
    await engine.dispose();
  });
});

describe('config errors', () => {
  it("a config.json whose widths do not divide is blamed on n_embd when the weights are another width", async () => {
    const source = randomModelSource(5);
    const cfg = JSON.parse(new TextDecoder().decode(source.files['config.json']));
    const engine = new Engine();
    const load = (c: object) => engine.load({ ...source, files: { ...source.files, 'config.json': new TextEncoder().encode(JSON.stringify(c)).buffer as ArrayBuffer } });
    // the weights are 96 wide: n_embd is the wrong field, and config and weights disagree
    const err = await load({ ...cfg, n_embd: 128, n_head: 5 }).catch((e) => e);
    expect(err).toMatchObject({ name: 'ModelConfigError', field: 'n_embd' });
    expect(err.message).toMatch(/n_embd is 128 but model\.safetensors's wte\.weight is \[\d+,96\].*different models/);
    // the weights are as wide as n_embd says: n_head is the wrong field
    expect(await load({ ...cfg, n_head: 5 }).catch((e) => e)).toMatchObject({ name: 'ModelConfigError', field: 'n_head' });
    await engine.dispose();
  });
});
