// Token-by-token generation for one or two streams (baseline, and steered beside it) with the
// same seed and sampling, each in its own KV cache slot, interleaved so both stream live. Each
// forward samples its next token on the GPU (GpuSampler: the seeded RNG's state stays there) and
// reads back only that id: the same ids as sample() on the CPU, without the logits row.
import type { GenerateEvent, GenerateRequest, StreamName, StreamResult } from '../worker/api';
import type { Transformer } from './transformer';
import { GpuSampler } from './gpu_sampler';
import type { TextTokenizer } from './tokenizer';

interface Stream {
  name: StreamName;
  slot: 0 | 1;
  steer: boolean;
  sampler: GpuSampler;
  all: number[];
  out: number[];
  /** The token the last forward sampled. */
  next: number;
  reason: StreamResult['reason'] | null;
  ms: number;
}

export async function generateStreams(
  model: Transformer,
  tokenizer: TextTokenizer,
  req: GenerateRequest,
  prompt: number[],
  steered: boolean,
  onEvent: (e: GenerateEvent) => void,
  cancelled: () => boolean,
  /** Stop ids beyond the model's EOS ids (a chat template's end of turn), and the steered stream's own prompt (its side of a chat). */
  opts: { stopIds?: readonly number[]; steeredPrompt?: number[]; baseline?: boolean } = {},
): Promise<Record<StreamName, StreamResult | null>> {
  const streams: Stream[] = [];
  try {
    for (const [name, slot, steer] of [['baseline', 0, false], ['steered', 1, true]] as const) {
      if (steer ? !steered : opts.baseline === false) continue;
      model.reset(slot);
      const sampler = new GpuSampler(model.gpu, req.sampling, req.seed);
      const ids = steer ? (opts.steeredPrompt ?? prompt) : prompt;
      streams.push({ name, slot, steer, sampler, all: [...ids], out: [], next: -1, reason: null, ms: 0 });
      streams[streams.length - 1].next = await forwardNext(model, ids, streams[streams.length - 1]);
    }
    return await decode(model, tokenizer, req, streams, onEvent, cancelled, opts.stopIds ?? []);
  } finally {
    streams.forEach((s) => s.sampler.destroy());
  }
}

async function forwardNext(model: Transformer, ids: number[], s: Stream): Promise<number> {
  return (await model.forward(ids, { logits: 'last', slot: s.slot, steer: s.steer, sampler: s.sampler })).sampled!.id;
}

async function decode(
  model: Transformer,
  tokenizer: TextTokenizer,
  req: GenerateRequest,
  streams: Stream[],
  onEvent: (e: GenerateEvent) => void,
  cancelled: () => boolean,
  stopIds: readonly number[],
): Promise<Record<StreamName, StreamResult | null>> {
  const nCtx = model.cfg.nCtx;
  const eos = new Set(req.stopAtEos === false ? [] : [...model.eosIds, ...stopIds]);
  const step = async (s: Stream) => {
    const t0 = performance.now();
    const next = s.next;
    s.out.push(next);
    s.all.push(next);
    const stop = eos.has(next);
    onEvent({ type: 'token', stream: s.name, index: s.out.length - 1, id: next, text: tokenizer.decode([next]), ...(stop ? { stop } : {}) });
    if (stop) s.reason = 'eos';
    else if (s.out.length >= req.maxNewTokens) s.reason = 'max_tokens';
    else if (model.cache(s.slot).free === 0) {
      // Context full: slide the window, keeping the most recent half.
      const keep = s.all.slice(-(nCtx >> 1));
      onEvent({ type: 'notice', message: `${s.name}: reached the ${nCtx}-token context; continuing from the last ${keep.length} tokens.` });
      model.reset(s.slot);
      s.next = await forwardNext(model, keep, s);
    } else {
      s.next = await forwardNext(model, [next], s);
    }
    s.ms += performance.now() - t0;
  };
  if (req.maxNewTokens === 0) streams.forEach((s) => (s.reason = 'max_tokens'));
  while (streams.some((s) => !s.reason)) {
    for (const s of streams) {
      if (s.reason) continue;
      if (cancelled()) s.reason = 'cancelled';
      else await step(s);
    }
  }
  const result = (s: Stream | undefined): StreamResult | null =>
    s ? { ids: s.out, text: tokenizer.decode(s.out), reason: s.reason!, msPerToken: s.out.length ? s.ms / s.out.length : 0 } : null;
  return { baseline: result(streams.find((s) => !s.steer)), steered: result(streams.find((s) => s.steer)) };
}
