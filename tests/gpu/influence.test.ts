// Training-data attribution in the browser (src/influence/): the query's projected gradient on
// the GPU (per-token projections of the backward's rows) against torch autograd's full weight
// gradient projected afterwards (tools/tda_query_reference.py), and Engine.influence on the
// bundled model's shipped index.
import { describe, expect, it } from 'vitest';
import { parseGpt2Config } from '../../src/model/config';
import { parseSafetensors, toFloat32, toInts } from '../../src/model/safetensors';
import { gpt2Weights } from '../../src/model/weights';
import { Gpt2 } from '../../src/model/gpt2';
import { queryGradient, uploadProjections } from '../../src/influence/query_gradient';
import { scoreDocs, type TdaIndex } from '../../src/influence/index_file';
import { readTdaIndex } from '../../src/influence/load';
import { Engine } from '../../src/worker/engine';
import { getGpu } from './gpu';

const bytes = async (url: string) => {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.arrayBuffer();
};

async function bundled() {
  const gpu = await getGpu();
  const cfg = parseGpt2Config(new TextDecoder().decode(await bytes('/models/glassbox-mini/config.json')));
  return new Gpt2(gpu, cfg, gpt2Weights(parseSafetensors(await bytes('/models/glassbox-mini/model.safetensors'), 'model.safetensors'), cfg));
}

describe('training-data attribution', () => {
  it('the projected query gradient matches torch autograd (full gradient, projected after) within 1e-4 relative', async () => {
    const gpu = await getGpu();
    const model = await bundled();
    const st = parseSafetensors(await bytes('/tests/fixtures/glassbox-mini.tda_reference.safetensors'), 'tda_reference');
    const m = st.metadata;
    const [kIn, kOut] = [Number(m.k_in), Number(m.k_out)];
    const names: string[] = JSON.parse(m.linears);
    const linears = names.map((name, i) => {
      const [pIn, pOut] = ['P_in_T', 'P_out_T'].map((s) => st.tensors.get(`${name}.${s}`)!);
      return { name, in: pIn.shape[0], out: pOut.shape[0], kIn, kOut, offset: i * kIn * kOut, pIn: toFloat32(pIn), pOut: toFloat32(pOut) };
    });
    const dims = names.length * kIn * kOut;
    const index: TdaIndex = { nDocs: 0, dims, linears, bosId: 3897, maxTokens: 256, unit: new Uint16Array(0), norm: new Float32Array(0), docs: [] };
    const proj = uploadProjections(gpu, index);
    for (let qi = 0; qi < Number(m.queries); qi++) {
      const ids = toInts(st.tensors.get(`query${qi}.ids`)!);
      const ref = toFloat32(st.tensors.get(`query${qi}.q`)!);
      const { q, loss } = await queryGradient(model, proj, index, ids, Number(m[`query${qi}.start`]));
      expect(loss).toBeCloseTo(Number(m[`query${qi}.loss`]), 4);
      const scale = ref.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
      let worst = 0;
      for (let j = 0; j < dims; j++) worst = Math.max(worst, Math.abs(q[j] - ref[j]) / scale);
      console.log(`[influence] query ${qi}: ${ids.length} tokens, loss ${loss.toFixed(4)}, projected gradient max |diff| / max |torch| ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-4);
    }
    proj.destroy();
    model.destroy();
  });

  it('Engine.influence on the bundled model: ranked supporters and opposers with text, the same as scoring the GPU gradient directly', async () => {
    const source = { kind: 'url' as const, baseUrl: '/models/glassbox-mini/' };
    const engine = new Engine();
    await engine.load(source);
    const text = 'The ship sailed across the';
    const res = await engine.influence({ text, completion: ' ocean', n: 5 });
    expect(res.ids[0]).toBe(3897);
    expect(res.pieces.slice(res.start).join('')).toBe(' ocean');
    expect(res.support.length).toBe(5);
    expect(res.oppose.length).toBe(5);
    for (let i = 1; i < 5; i++) {
      expect(res.support[i].score).toBeLessThanOrEqual(res.support[i - 1].score);
      expect(res.oppose[i].score).toBeGreaterThanOrEqual(res.oppose[i - 1].score);
    }
    expect(res.support[0].score).toBeGreaterThan(0);
    expect(res.oppose[0].score).toBeLessThan(0);
    expect(res.support.every((d) => d.text.length > 0 && Math.abs(d.cosine) <= 1)).toBe(true);

    // the same from the parts, outside the engine
    const gpu = await getGpu();
    const model = await bundled();
    const index = (await readTdaIndex(async (f) => new Blob([await bytes(`/models/glassbox-mini/${f}`)])))!;
    const proj = uploadProjections(gpu, index);
    const { q, loss } = await queryGradient(model, proj, index, res.ids, res.start);
    expect(res.loss).toBeCloseTo(loss, 4);
    const direct = scoreDocs(index, q, 5);
    expect(res.support.map((d) => d.id)).toEqual(direct.support.map((d) => d.id));
    expect(res.oppose.map((d) => d.id)).toEqual(direct.oppose.map((d) => d.id));

    // the index's own reference query (tools/tda_index.py, torch): its projected gradient and top documents
    const ref = JSON.parse(await (await fetch('/models/glassbox-mini/tda/index.json')).text()).reference_query;
    const mine = await queryGradient(model, proj, index, ref.ids, ref.prompt_len);
    expect(mine.loss).toBeCloseTo(ref.loss, 3);
    const scale = ref.g_proj.reduce((a: number, v: number) => Math.max(a, Math.abs(v)), 0);
    const worst = ref.g_proj.reduce((a: number, v: number, j: number) => Math.max(a, Math.abs(mine.q[j] - v) / scale), 0);
    console.log(`[influence] the index's reference query: projected gradient max |diff| / max |torch| ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-3);
    const top = scoreDocs(index, mine.q, 5);
    expect(top.support.map((d) => d.score)).toEqual(ref.top_supporters.map((d: { doc: number; score: number }) => expect.closeTo(d.score, 1)));
    expect(top.support.map((d) => d.text)).toEqual(ref.top_supporters.map((d: { doc: number }) => index.docs[d.doc].text));
    expect(top.oppose.map((d) => d.text)).toEqual(ref.top_opposers.map((d: { doc: number }) => index.docs[d.doc].text));

    // no completion: the model's top next token
    const greedy = await engine.influence({ text });
    expect(greedy.ids.length).toBe(greedy.start + 1);
    await expect(engine.influence({ text, n: 0 })).rejects.toThrow(/n must be 1\.\.50/);
    proj.destroy();
    model.destroy();
    await engine.dispose();
  });
});
