// A dashboard build from start to end, as the engine runs it: the corpus read and cut into
// contexts, the collection with progress (tokens done of total, tokens/s, time left), saved every
// few seconds, stopped by a cancel (its state saved: the next run with the same key resumes), and
// the dashboards made and stored when all contexts are done.
import { EngineStateError } from '../errors';
import type { Gpu } from '../gpu/gpu';
import type { Transformer } from '../model/transformer';
import type { TextTokenizer } from '../model/tokenizer';
import { finishDashboards } from './build';
import { Collector, newState, type CollectState } from './collect';
import { corpusHash, corpusName, cutContexts, parseCorpus, readCorpus, type CorpusSource } from './corpus';
import { dashboardKey, loadState, saveDashboards, saveState } from './store';
import type { BuiltDashboards } from './types';

export interface BuildDashboardsRequest {
  corpus: CorpusSource;
  /** Tokens per context (BOS included where the model takes one). */
  ctxLen: number;
  /** Tokens to run over, cut to whole contexts. */
  nTokens: number;
  /** Top contexts kept per feature (default 20). */
  nExamples?: number;
  /** The model's and SAE's names, for the storage key. */
  model: string;
  sae: string;
  /** Start over even when a cancelled run of the same key was saved (default false: resume it). */
  restart?: boolean;
  /** GPU memory for gathering example windows, in bytes (default 16 MiB; batches when more is needed). */
  gatherBytes?: number;
}

export interface BuildProgress {
  stage: 'corpus' | 'collect' | 'finish' | 'done' | 'cancelled';
  tokensDone: number;
  tokensTotal: number;
  tokensPerSec: number;
  etaSec: number;
}

export interface BuildDashboardsResult {
  status: 'done' | 'cancelled';
  key: string;
  tokensDone: number;
  tokensTotal: number;
  /** Contexts this call ran (a resumed run skips the ones done before). */
  contextsRun: number;
  tokensPerSec: number;
  /** Of this call's collection time, the share spent in the forward passes themselves (see Collector.timing). */
  forwardShare: number;
  dashboards: BuiltDashboards | null;
}

/** What the tokenizer puts before every text on its own (a BOS), found by encoding a probe both ways. */
export function tokenizeFor(tokenizer: TextTokenizer, eosIds: number[]) {
  const probe = 'a b';
  const full = tokenizer.encode(probe);
  const plain = tokenizer.encode(probe, { addSpecialTokens: false });
  const prefix = full.slice(0, Math.max(0, full.indexOf(plain[0])));
  return { plain: (t: string) => tokenizer.encode(t, { addSpecialTokens: false }), prefix, separator: eosIds[0] ?? null };
}

export async function runBuild(
  env: { gpu: Gpu; model: Transformer; tokenizer: TextTokenizer; hookName: string },
  req: BuildDashboardsRequest,
  onProgress: (p: BuildProgress) => void,
  cancelled: () => boolean,
  opts: { saveEveryMs?: number; signal?: AbortSignal } = {},
): Promise<BuildDashboardsResult> {
  const { model, tokenizer } = env;
  const S = model.sae!.cfg.dSae;
  const maxLen = Math.min(model.maxT, model.cfg.nCtx);
  if (!(Number.isInteger(req.ctxLen) && req.ctxLen >= 2 && req.ctxLen <= maxLen)) throw new EngineStateError(`The context length must be 2..${maxLen} tokens for this model and SAE, got ${req.ctxLen}.`);
  if (!(Number.isInteger(req.nTokens) && req.nTokens >= req.ctxLen)) throw new EngineStateError(`The number of tokens must be at least one context (${req.ctxLen}), got ${req.nTokens}.`);
  const N = req.nExamples ?? 20;
  onProgress({ stage: 'corpus', tokensDone: 0, tokensTotal: req.nTokens, tokensPerSec: 0, etaSec: NaN });
  const bytes = await readCorpus(req.corpus, opts.signal);
  const name = corpusName(req.corpus);
  const hash = corpusHash(bytes);
  const docs = await parseCorpus(bytes, name);
  const ctx = cutContexts(docs, tokenizeFor(tokenizer, model.eosIds), req.ctxLen, req.nTokens);
  if (!ctx.n) throw new EngineStateError(`The corpus ${name} holds ${ctx.tokensRead} tokens, less than one context of ${req.ctxLen}. Pick a larger corpus or a shorter context.`);
  const key = dashboardKey({ model: req.model, sae: req.sae, corpusHash: hash, ctxLen: req.ctxLen, nTokens: ctx.n * req.ctxLen, N });
  const saved = req.restart ? null : await loadState(key);
  const fits = (s: CollectState | null) => s && s.S === S && s.ctxLen === req.ctxLen && s.nContexts === ctx.n && s.N === N && s.done <= ctx.n;
  const state = fits(saved) ? saved! : newState(S, req.ctxLen, ctx.n, N);
  const collector = new Collector(env.gpu, model, state, req.gatherBytes);
  const total = ctx.n * req.ctxLen;
  const first = state.done;
  const t0 = performance.now();
  let lastSave = t0;
  let rate = 0;
  const share = () => collector.timing.forwardMs / (collector.timing.stepMs || 1);
  const progress = (stage: BuildProgress['stage']) => {
    const done = state.done * req.ctxLen;
    onProgress({ stage, tokensDone: done, tokensTotal: total, tokensPerSec: rate, etaSec: rate ? (total - done) / rate : NaN });
  };
  try {
    while (state.done < ctx.n) {
      if (cancelled()) {
        await collector.sync();
        await saveState(key, state);
        progress('cancelled');
        return { status: 'cancelled', key, tokensDone: state.done * req.ctxLen, tokensTotal: total, contextsRun: state.done - first, tokensPerSec: rate, forwardShare: share(), dashboards: null };
      }
      await collector.step(ctx.ids);
      const now = performance.now();
      rate = ((state.done - first) * req.ctxLen * 1000) / (now - t0);
      if (now - lastSave > (opts.saveEveryMs ?? 5000)) {
        await collector.sync();
        await saveState(key, state);
        lastSave = performance.now();
      }
      progress('collect');
    }
    await collector.sync();
  } finally {
    collector.destroy();
  }
  progress('finish');
  const piece = (id: number) => {
    try {
      return tokenizer.pieces([id])[0];
    } catch {
      return `<${id}>`;
    }
  };
  const dashboards = finishDashboards(state, ctx.ids, piece, {
    model: req.model, sae: req.sae, corpus: name, corpusHash: hash, hookName: env.hookName, builtAt: new Date().toISOString(),
  });
  await saveDashboards(key, dashboards);
  progress('done');
  return { status: 'done', key, tokensDone: total, tokensTotal: total, contextsRun: state.done - first, tokensPerSec: rate, forwardShare: share(), dashboards };
}
