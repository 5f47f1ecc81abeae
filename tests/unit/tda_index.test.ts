// The training-data index files (src/influence/index_file.ts): a well-formed index parses and
// scores documents as norm x (unit . q); each malformed file gives a ModelFileError that names
// the file (and the tensor) and says how to rebuild it.
import { describe, expect, it } from 'vitest';
import { ModelFileError } from '../../src/errors';
import { parseTdaIndex, scoreDocs } from '../../src/influence/index_file';
import { writeSafetensors } from '../../src/model/safetensors';
import { Rng } from '../../src/model/rng';
import { roundToHalf } from '../../src/gpu/f16';
import { writeSafetensorsAs } from '../helpers/random_sae';

const rng = new Rng(3);
const linears = [
  { name: 'h.0.attn.c_proj.weight', in: 8, out: 8, k_in: 4, k_out: 4, offset: 0 },
  { name: 'h.0.mlp.c_fc.weight', in: 8, out: 12, k_in: 4, k_out: 8, offset: 16 },
];
const D = 48;
const N = 5;

function files(edit: { meta?: object; linears?: object[]; proj?: Record<string, { shape: number[]; data: Float32Array }>; unitShape?: number[]; unitDtype?: 'F16' | 'F32'; docs?: string } = {}) {
  const proj: Record<string, { shape: number[]; data: Float32Array }> = edit.proj ?? {};
  if (!edit.proj) {
    for (const l of linears) {
      proj[`${l.name}.P_in_T`] = { shape: [l.in, l.k_in], data: rng.array(l.in * l.k_in) };
      proj[`${l.name}.P_out_T`] = { shape: [l.out, l.k_out], data: rng.array(l.out * l.k_out) };
    }
  }
  const unitShape = edit.unitShape ?? [N, D];
  const unit = rng.array(unitShape.reduce((a, b) => a * b, 1));
  const grads = writeSafetensorsAs({ unit: { shape: unitShape, data: unit }, norm: { shape: [N], data: Float32Array.from({ length: N }, (_, i) => i + 1) } }, edit.unitDtype ?? 'F16');
  const meta = { format: 'glassbox-tda-v1', n_docs: N, dims: D, linears: edit.linears ?? linears, tokenisation: { prepend_bos: true, bos_id: 7, max_tokens: 64 }, ...edit.meta };
  const docs = edit.docs ?? Array.from({ length: N }, (_, i) => JSON.stringify({ id: 100 + i, text: `doc ${i}`, topic: 'ocean', lang: 'en' })).join('\n');
  return { index: JSON.stringify(meta), projections: writeSafetensors(proj).slice().buffer, grads: grads.slice().buffer, docs, unit };
}

const error = (f: ReturnType<typeof files>) => {
  try {
    parseTdaIndex(f);
  } catch (e) {
    expect(e).toBeInstanceOf(ModelFileError);
    expect((e as Error).message).toMatch(/tools\/tda_index\.py/);
    return e as ModelFileError;
  }
  throw new Error('parsed');
};

describe('training-data index', () => {
  it('parses, and scores as norm x (unit . q) with the unit rounded to f16; supporters > 0, opposers < 0', () => {
    const f = files();
    const index = parseTdaIndex(f);
    expect([index.nDocs, index.dims, index.bosId, index.maxTokens]).toEqual([N, D, 7, 64]);
    expect(index.linears.map((l) => [l.offset, l.kIn, l.kOut])).toEqual([[0, 4, 4], [16, 4, 8]]);
    const q = rng.array(D);
    const { scores, support, oppose } = scoreDocs(index, q, 3);
    const unit = roundToHalf(f.unit);
    for (let d = 0; d < N; d++) {
      let s = 0;
      for (let j = 0; j < D; j++) s += unit[d * D + j] * q[j];
      expect(scores[d]).toBeCloseTo((d + 1) * s, 4);
    }
    const sorted = [...scores].sort((a, b) => b - a);
    expect(support.map((h) => h.score)).toEqual(sorted.slice(0, 3).filter((s) => s > 0));
    expect(oppose.map((h) => h.score)).toEqual(sorted.slice(-3).reverse().filter((s) => s < 0));
    expect(support.length + oppose.length).toBeGreaterThan(0);
    // by cosine: the same scores, ordered by score / norm
    const cos = scoreDocs(index, q, N, 'cosine');
    const byCos = [...scores.keys()].sort((a, b) => scores[b] / (b + 1) - scores[a] / (a + 1));
    expect(cos.support.map((h) => h.id)).toEqual(byCos.filter((d) => scores[d] > 0).map((d) => 100 + d));
    for (let i = 1; i < cos.support.length; i++) expect(cos.support[i].cosine).toBeLessThanOrEqual(cos.support[i - 1].cosine);
    expect(support[0]?.text ?? oppose[0].text).toMatch(/^doc \d$/);
  });

  it('names the file and the problem for each malformed part', () => {
    expect(error({ ...files(), index: '{' }).file).toBe('tda/index.json');
    expect(error(files({ meta: { format: 'other' } })).message).toMatch(/glassbox-tda-v1/);
    expect(error(files({ meta: { dims: 40 } })).message).toMatch(/add up to 48 dimensions, but dims is 40/);
    expect(error(files({ linears: [linears[1], linears[0]] })).message).toMatch(/linears\[0\] needs .* offset 0/);
    const noProj = error(files({ proj: { x: { shape: [1], data: new Float32Array(1) } } }));
    expect([noProj.file, noProj.message]).toEqual(['tda/projections.safetensors', expect.stringMatching(/no tensor h\.0\.attn\.c_proj\.weight\.P_in_T/)]);
    const badShape: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const l of linears) {
      badShape[`${l.name}.P_in_T`] = { shape: [l.in, l.k_in], data: new Float32Array(l.in * l.k_in) };
      badShape[`${l.name}.P_out_T`] = { shape: [l.k_out, l.out], data: new Float32Array(l.out * l.k_out) };
    }
    expect(error(files({ proj: badShape })).tensor).toBe('h.0.attn.c_proj.weight.P_out_T');
    expect(error(files({ unitDtype: 'F32' })).tensor).toBe('unit');
    expect(error(files({ unitShape: [N, D - 1] })).message).toMatch(/"unit" F16 \[5, 48\]/);
    expect(error(files({ docs: '{"id": 1, "text": "one"}' })).message).toMatch(/has 1 documents, index.json says 5/);
    const badLine = error(files({ docs: ['{"id": 1, "text": "a"}', '{"id": 2}', 'x', 'y', 'z'].join('\n') }));
    expect([badLine.file, badLine.message]).toEqual(['tda/docs.jsonl', expect.stringMatching(/line 2: no "text"/)]);
  });
});
