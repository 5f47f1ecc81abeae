// Collection: runs the model and its SAE over contexts one at a time (a chunk is one context, as
// contexts do not share a KV cache) and keeps, per feature:
//   on the GPU, exactly over all S features (shaders/feature_stats.wgsl): tokens with f > 0, the
//     max activation, and a histogram of the positive activations;
//   on the CPU, from the per-token top-K the forward reads back anyway: the top N contexts by the
//     feature's largest activation in them, and reservoir samples (R per octave of activation
//     [2^b, 2^(b+1))), SAEDashboard's quantile-interval samples with power-of-two intervals.
// An example is found only when the feature is among its token's top K (for a TopK SAE with
// k <= K that is every firing). The per-token values around each new example's max token come from
// the full activations f (T, S) with one sae_gather of the features that changed, in the same
// submission as the statistics. Everything lives in a CollectState, which serializes, so a
// cancelled run resumes where it stopped and ends as an uninterrupted one would.
import { createBuffer, readBuffer, uploadBuffer } from '../gpu/buffers';
import type { Gpu, Step } from '../gpu/gpu';
import { featureStats, FEATURE_STATS_STRIDE } from '../kernels/feature_stats';
import { saeGather } from '../kernels/sae_gather';
import { NO_FEATURE } from '../kernels/sae_topk';
import type { Transformer } from '../model/transformer';

import { AFTER, BEFORE, OCT0, OCTAVES, WINDOW } from './types';

export { AFTER, BEFORE, OCT0, OCTAVES, WINDOW };

export interface CollectState {
  S: number;
  ctxLen: number;
  nContexts: number;
  /** Top contexts kept per feature (N) and samples per octave (R). */
  N: number;
  R: number;
  /** Contexts done. */
  done: number;
  /** The reservoir sampler's mulberry32 state. */
  rng: number;
  /** (S, FEATURE_STATS_STRIDE) the GPU's running statistics, as of the last sync. */
  stats: Uint32Array;
  topCount: Uint8Array; // (S)
  topVal: Float32Array; // (S, N) unsorted; the smallest is replaced
  topCtx: Uint32Array; // (S, N)
  topAt: Uint16Array; // (S, N) max token's position in its context
  topActs: Float32Array; // (S, N, WINDOW) values around it, NaN past the context's ends
  resSeen: Uint32Array; // (S, OCTAVES) firings seen per octave
  resVal: Float32Array; // (S, OCTAVES, R)
  resCtx: Uint32Array; // (S, OCTAVES, R)
  resAt: Uint16Array; // (S, OCTAVES, R)
  resActs: Float32Array; // (S, OCTAVES, R, WINDOW)
}

export function newState(S: number, ctxLen: number, nContexts: number, N = 20, R = 2): CollectState {
  if (!(N >= 1 && N <= 255 && R >= 1 && ctxLen <= 65535)) throw new RangeError(`collect: N=${N} (1..255), R=${R}, ctxLen=${ctxLen} (<= 65535)`);
  const Q = OCTAVES;
  return {
    S, ctxLen, nContexts, N, R, done: 0, rng: 0x9e3779b9,
    stats: new Uint32Array(S * FEATURE_STATS_STRIDE),
    topCount: new Uint8Array(S), topVal: new Float32Array(S * N), topCtx: new Uint32Array(S * N), topAt: new Uint16Array(S * N),
    topActs: new Float32Array(S * N * WINDOW),
    resSeen: new Uint32Array(S * Q), resVal: new Float32Array(S * Q * R), resCtx: new Uint32Array(S * Q * R), resAt: new Uint16Array(S * Q * R),
    resActs: new Float32Array(S * Q * R * WINDOW),
  };
}

/** The octave bucket of a positive activation (exponent bits, as feature_stats.wgsl reads them). */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
export function octaveBucket(v: number): number {
  f32[0] = v;
  const e = ((u32[0] >>> 23) & 0xff) - 127;
  return Math.min(OCTAVES - 1, Math.max(0, e - OCT0));
}

/** Uniform integer in [0, n) from mulberry32, its state kept in `st.rng` (so it survives a resume). */
function randInt(st: CollectState, n: number): number {
  let t = (st.rng = (st.rng + 0x6d2b79f5) >>> 0);
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
}

/** Runs contexts [state.done, until) of `ids` (nContexts, ctxLen) through the model, adding to state. */
export class Collector {
  private readonly stats: GPUBuffer;
  private readonly gatherIds: GPUBuffer;
  private readonly gatherOut: GPUBuffer;
  /** Features one gather reads (n): the width of gatherOut (ctxLen, n). */
  private readonly gatherCols: number;
  /** Scratch per context: each feature's largest value and its position (0: did not fire). */
  private readonly best: Float32Array;
  private readonly bestAt: Uint16Array;
  private readonly col: Int32Array;
  /**
   * Wall time in forward() (what a plain prefill of the context costs) and in whole steps: their
   * ratio is the build's speed relative to prefill, measured in the same moments (a CPU adapter's
   * speed drifts too much between separate runs to compare them finely).
   */
  readonly timing = { forwardMs: 0, stepMs: 0 };
  /** The statistics' dispatch: the same every context (T = ctxLen), built once. */
  private readonly statsStep: Step;

  constructor(
    private readonly gpu: Gpu,
    private readonly model: Transformer,
    readonly state: CollectState,
    /** Bytes of gathered activations per readback: features are gathered in batches that fit. */
    gatherBytes = 16 << 20,
  ) {
    const { S, ctxLen } = state;
    if (!model.sae || !model.saeActs) throw new Error('collect: the model has no SAE attached');
    if (model.sae.cfg.dSae !== S) throw new Error(`collect: state is for S=${S}, the SAE has ${model.sae.cfg.dSae}`);
    if (ctxLen > model.maxT) throw new Error(`collect: contexts of ${ctxLen} tokens exceed the ${model.maxT} one forward runs`);
    this.stats = uploadBuffer(gpu.device, 'dashboards.stats (S, 4 + NB)', state.stats);
    this.gatherCols = Math.max(1, Math.min(S, Math.floor(gatherBytes / (ctxLen * 4))));
    this.gatherIds = createBuffer(gpu.device, 'dashboards.gather ids (n)', this.gatherCols * 4);
    this.gatherOut = createBuffer(gpu.device, 'dashboards.gather out (T, n)', ctxLen * this.gatherCols * 4);
    this.best = new Float32Array(S);
    this.bestAt = new Uint16Array(S);
    this.col = new Int32Array(S).fill(-1);
    this.statsStep = featureStats(gpu, { f: model.saeActs.f, stats: this.stats, T: ctxLen, S, label: 'dashboards.feature_stats' });
  }

  /** One context: forward, GPU statistics, candidates from the top-K, their windows gathered. */
  async step(ids: Uint32Array): Promise<void> {
    const st = this.state;
    const { S, N, R, ctxLen: L } = st;
    const c = st.done;
    const row = ids.subarray(c * L, (c + 1) * L);
    const t0 = performance.now();
    this.model.reset();
    const out = await this.model.forward(row, { logits: 'none' });
    this.timing.forwardMs += performance.now() - t0;
    const { topIdx, topVal } = out.sae!;
    const K = topIdx.length / L;
    const touched: number[] = [];
    const res: number[] = []; // reservoir slots filled in this context
    for (let t = 0; t < L; t++) {
      for (let j = 0; j < K; j++) {
        const id = topIdx[t * K + j];
        const v = topVal[t * K + j];
        if (id === NO_FEATURE || !(v > 0)) continue;
        if (v > this.best[id]) {
          if (this.best[id] === 0) touched.push(id);
          this.best[id] = v;
          this.bestAt[id] = t;
        }
        const q = id * OCTAVES + octaveBucket(v);
        const seen = ++st.resSeen[q];
        const slot = seen <= R ? seen - 1 : randInt(st, seen);
        if (slot >= R) continue;
        const k = q * R + slot;
        st.resVal[k] = v;
        st.resCtx[k] = c;
        st.resAt[k] = t;
        res.push(k);
      }
    }
    // the context enters a feature's top N when its best beats the smallest kept (ties keep the earlier)
    const tops: number[] = [];
    for (const id of touched) {
      const v = this.best[id];
      let k = id * N + st.topCount[id];
      if (st.topCount[id] < N) st.topCount[id]++;
      else {
        k = id * N;
        for (let i = 1; i < N; i++) if (st.topVal[id * N + i] < st.topVal[k]) k = id * N + i;
        if (!(v > st.topVal[k])) continue;
      }
      st.topVal[k] = v;
      st.topCtx[k] = c;
      st.topAt[k] = this.bestAt[id];
      tops.push(k);
    }
    // the features whose new examples need their windows, as columns of one gather
    const cols: number[] = [];
    const want = (id: number) => {
      if (this.col[id] < 0) this.col[id] = cols.push(id) - 1;
    };
    tops.forEach((k) => want(Math.floor(k / N)));
    res.forEach((k) => want(Math.floor(k / (OCTAVES * R))));
    // The next forward's submission comes after these, so f still holds this context when they
    // run. The gather goes in batches of at most `gatherCols` features (its output buffer's width).
    this.gpu.run([this.statsStep], `dashboards context ${c}`);
    const fill = (acts: Float32Array, k: number, id: number, at: number, g: Float32Array, b0: number, n: number) => {
      for (let w = 0; w < WINDOW; w++) {
        const t = at - BEFORE + w;
        acts[k * WINDOW + w] = t >= 0 && t < L ? g[t * n + this.col[id] - b0] : NaN;
      }
    };
    for (let b0 = 0; b0 < cols.length; b0 += this.gatherCols) {
      const n = Math.min(this.gatherCols, cols.length - b0);
      const inBatch = (id: number) => this.col[id] >= b0 && this.col[id] < b0 + n;
      this.gpu.device.queue.writeBuffer(this.gatherIds, 0, Uint32Array.from(cols.slice(b0, b0 + n)));
      const gather = saeGather(this.gpu, { f: this.model.saeActs!.f, ids: this.gatherIds, out: this.gatherOut, T: L, S, n });
      this.gpu.run([gather], `dashboards gather ${c}`);
      const g = new Float32Array(await readBuffer(this.gpu.device, this.gatherOut, L * n * 4));
      this.gpu.release([gather]);
      for (const k of tops) if (inBatch(Math.floor(k / N))) fill(st.topActs, k, Math.floor(k / N), st.topAt[k], g, b0, n);
      for (const k of res) if (inBatch(Math.floor(k / (OCTAVES * R)))) fill(st.resActs, k, Math.floor(k / (OCTAVES * R)), st.resAt[k], g, b0, n);
    }
    for (const id of cols) this.col[id] = -1;
    for (const id of touched) this.best[id] = 0;
    st.done++;
    this.timing.stepMs += performance.now() - t0;
  }

  /** Copies the GPU's statistics into the state (before saving it, and at the end). */
  async sync(): Promise<void> {
    this.state.stats.set(new Uint32Array(await readBuffer(this.gpu.device, this.stats)));
  }

  destroy(): void {
    this.gpu.release([this.statsStep]);
    for (const b of [this.stats, this.gatherIds, this.gatherOut]) b.destroy();
  }
}
