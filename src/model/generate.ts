// Token-by-token generation for one or two streams (baseline, and steered beside it) with the
// same seed and sampling, each in its own KV cache slot, interleaved so both stream live.
import type { GenerateEvent, GenerateRequest, StreamName, StreamResult } from '../worker/api';
import type { Gpt2 } from './gpt2';
import { Rng } from './rng';
import { sample } from './sampling';
import type { TextTokenizer } from './tokenizer';

interface Stream {
  name: StreamName;
  slot: 0 | 1;
  steer: boolean;
  rng: Rng;
  all: number[];
  out: number[];
  logits: Float32Array;
  reason: StreamResult['reason'] | null;
  ms: number;
}

export async function generateStreams(
  model: Gpt2,
  tokenizer: TextTokenizer,
  req: GenerateRequest,
  prompt: number[],
  steered: boolean,
  onEvent: (e: GenerateEvent) => void,
  cancelled: () => boolean,
): Promise<Record<StreamName, StreamResult | null>> {
  const nCtx = model.cfg.nCtx;
  const eos = req.stopAtEos === false ? null : model.cfg.eosTokenId;
  const streams: Stream[] = [];
  for (const [name, slot, steer] of [['baseline', 0, false], ['steered', 1, true]] as const) {
    if (steer && !steered) continue;
    model.reset(slot);
    const { logits } = await model.forward(prompt, { logits: 'last', slot, steer });
    streams.push({ name, slot, steer, rng: new Rng(req.seed), all: [...prompt], out: [], logits, reason: null, ms: 0 });
  }
  const step = async (s: Stream) => {
    const t0 = performance.now();
    const next = sample(s.logits, req.sampling, s.rng);
    s.out.push(next);
    s.all.push(next);
    onEvent({ type: 'token', stream: s.name, index: s.out.length - 1, id: next, text: tokenizer.decode([next]) });
    if (next === eos) s.reason = 'eos';
    else if (s.out.length >= req.maxNewTokens) s.reason = 'max_tokens';
    else if (model.cache(s.slot).free === 0) {
      // Context full: slide the window, keeping the most recent half.
      const keep = s.all.slice(-(nCtx >> 1));
      onEvent({ type: 'notice', message: `${s.name}: reached the ${nCtx}-token context; continuing from the last ${keep.length} tokens.` });
      model.reset(s.slot);
      s.logits = (await model.forward(keep, { logits: 'last', slot: s.slot, steer: s.steer })).logits;
    } else {
      s.logits = (await model.forward([next], { logits: 'last', slot: s.slot, steer: s.steer })).logits;
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
  return { baseline: result(streams[0]), steered: result(streams[1]) };
}
