// The training-data attribution index (tools/tda_index.py writes it; tools/NOTES.md describes it):
// per training document, its LoGra-projected loss gradient over the model's 16 Linear weights,
// the projection matrices that map a query's gradient into the same space, and the documents'
// text. Parsed and checked here; every problem is a ModelFileError naming the file and field.
import { ModelFileError } from '../errors';
import { fromHalfBits } from '../gpu/f16';
import { parseSafetensors, toFloat32, type TensorInfo } from '../model/safetensors';

export const TDA_FILES = { index: 'tda/index.json', projections: 'tda/projections.safetensors', grads: 'tda/grads.safetensors', docs: 'tda/docs.jsonl' };

export interface TdaLinear {
  /** GPT-2's weight name, h.L.attn.c_attn.weight etc. */
  name: string;
  in: number;
  out: number;
  kIn: number;
  kOut: number;
  /** Where its (kIn, kOut) block starts in a projected gradient. */
  offset: number;
  /** (in, kIn) and (out, kOut): x · pIn and dy · pOut project a row. */
  pIn: Float32Array;
  pOut: Float32Array;
}

export interface TdaDoc {
  /** Its line in the training corpus. */
  id: number;
  text: string;
  topic?: string;
  lang?: string;
}

export interface TdaIndex {
  nDocs: number;
  /** D: the projected gradient's length. */
  dims: number;
  linears: TdaLinear[];
  /** A document's tokens start with bosId when set (so should a query's). */
  bosId: number | null;
  maxTokens: number;
  /** (nDocs, D) f16 bits: each document's projected gradient over its L2 norm. */
  unit: Uint16Array;
  /** (nDocs) the norms. */
  norm: Float32Array;
  docs: TdaDoc[];
}

const fail = (file: string, detail: string, tensor?: string): never => {
  throw new ModelFileError(file, `${detail} Rebuild the index with tools/tda_index.py.`, tensor);
};

const posInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;

export function parseTdaIndex(files: { index: string; projections: ArrayBuffer; grads: ArrayBuffer; docs: string }): TdaIndex {
  const f = TDA_FILES;
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(files.index);
  } catch (e) {
    return fail(f.index, `is not JSON (${(e as Error).message}).`);
  }
  if (meta.format !== 'glassbox-tda-v1') fail(f.index, `format is ${JSON.stringify(meta.format)}, expected "glassbox-tda-v1".`);
  const { n_docs: nDocs, dims } = meta as { n_docs: unknown; dims: unknown };
  if (!posInt(nDocs) || !posInt(dims)) return fail(f.index, `n_docs and dims must be positive integers, got ${JSON.stringify(nDocs)} and ${JSON.stringify(dims)}.`);
  const tok = (meta.tokenisation ?? {}) as { prepend_bos?: boolean; bos_id?: number; max_tokens?: number };
  const proj = parseSafetensors(files.projections, f.projections);
  const rawLinears = Array.isArray(meta.linears) ? (meta.linears as Array<Record<string, unknown>>) : fail(f.index, 'has no "linears" list.');
  let end = 0;
  const linears = rawLinears.map((l, i): TdaLinear => {
    const { name, in: K, out: N, k_in: kIn, k_out: kOut, offset } = l as { name: string; in: number; out: number; k_in: number; k_out: number; offset: number };
    if (typeof name !== 'string' || ![K, N, kIn, kOut].every(posInt) || offset !== end) {
      fail(f.index, `linears[${i}] needs name, in, out, k_in, k_out and offset ${end} (each block follows the last), got ${JSON.stringify(l)}.`);
    }
    end += kIn * kOut;
    const matrix = (suffix: string, rows: number, cols: number) => {
      const t: TensorInfo | undefined = proj.tensors.get(`${name}.${suffix}`);
      if (!t) return fail(f.projections, `has no tensor ${name}.${suffix}.`);
      if (t.shape.length !== 2 || t.shape[0] !== rows || t.shape[1] !== cols) fail(f.projections, `shape ${JSON.stringify(t.shape)}, expected [${rows}, ${cols}].`, `${name}.${suffix}`);
      return toFloat32(t, f.projections);
    };
    return { name, in: K, out: N, kIn, kOut, offset, pIn: matrix('P_in_T', K, kIn), pOut: matrix('P_out_T', N, kOut) };
  });
  if (end !== dims) fail(f.index, `the linears' blocks add up to ${end} dimensions, but dims is ${dims}.`);

  const grads = parseSafetensors(files.grads, f.grads);
  const unitT = grads.tensors.get('unit');
  const normT = grads.tensors.get('norm');
  if (!unitT || unitT.dtype !== 'F16' || unitT.shape.join() !== `${nDocs},${dims}`) fail(f.grads, `needs "unit" F16 [${nDocs}, ${dims}], has ${unitT ? `${unitT.dtype} ${JSON.stringify(unitT.shape)}` : 'none'}.`, 'unit');
  if (!normT || normT.shape.join() !== `${nDocs}`) fail(f.grads, `needs "norm" [${nDocs}].`, 'norm');
  const u = unitT!.bytes;
  const unit = new Uint16Array(u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength));
  const norm = toFloat32(normT!, f.grads);

  const lines = files.docs.split('\n').filter((s) => s.trim());
  if (lines.length !== nDocs) fail(f.docs, `has ${lines.length} documents, index.json says ${nDocs}.`);
  const docs = lines.map((line, i): TdaDoc => {
    try {
      const d = JSON.parse(line);
      if (typeof d.text !== 'string') throw new Error('no "text"');
      return { id: Number(d.id), text: d.text, topic: d.topic, lang: d.lang };
    } catch (e) {
      return fail(f.docs, `line ${i + 1}: ${(e as Error).message}.`);
    }
  });
  return { nDocs, dims, linears, bosId: tok.prepend_bos ? (tok.bos_id ?? null) : null, maxTokens: tok.max_tokens ?? Infinity, unit, norm, docs };
}

export interface TdaHit extends TdaDoc {
  /** <g_query, g_doc> in the projected space: > 0, a step on this document lowers the query's loss (it supports the completion). */
  score: number;
  /** The cosine of the two projected gradients. */
  cosine: number;
}

let halfTable: Float32Array | null = null;

/**
 * The `n` documents with the largest and the most negative scores against the projected query
 * gradient q (D). rank 'dot' orders them by the score itself, the gradient dot product the index
 * is validated for; 'cosine' by the cosine, which no longer favours documents with large
 * gradients (RelatIF-style, Barshan et al. 2020).
 */
export function scoreDocs(index: TdaIndex, q: Float32Array, n: number, rank: 'dot' | 'cosine' = 'dot'): { support: TdaHit[]; oppose: TdaHit[]; scores: Float32Array } {
  const { nDocs, dims: D, unit, norm } = index;
  halfTable ??= Float32Array.from({ length: 65536 }, (_, h) => fromHalfBits(h));
  const table = halfTable;
  const scores = new Float32Array(nDocs);
  let qq = 0;
  for (let j = 0; j < D; j++) qq += q[j] * q[j];
  const qNorm = Math.sqrt(qq) || 1;
  for (let d = 0; d < nDocs; d++) {
    let s = 0;
    const row = d * D;
    for (let j = 0; j < D; j++) s += table[unit[row + j]] * q[j];
    scores[d] = norm[d] * s;
  }
  const key = rank === 'dot' ? scores : scores.map((v, d) => v / (norm[d] || 1));
  const order = Array.from(scores.keys()).sort((a, b) => key[b] - key[a]);
  const hit = (d: number): TdaHit => ({ ...index.docs[d], score: scores[d], cosine: scores[d] / (norm[d] * qNorm || 1) });
  const m = Math.min(n, nDocs);
  return { support: order.slice(0, m).filter((d) => scores[d] > 0).map(hit), oppose: order.slice(-m).reverse().filter((d) => scores[d] < 0).map(hit), scores };
}
