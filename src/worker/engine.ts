// The engine: loads a model, tokenizes, runs forwards and streams generations. A plain class
// behind EngineApi, so tests drive it without a worker; engine.worker.ts only exposes it.
import * as Comlink from 'comlink';
import { checkAlive, requestGpu, withErrorScopes } from '../gpu/device';
import { Gpu } from '../gpu/gpu';
import { parseGpt2Config } from '../model/config';
import { Gpt2 } from '../model/gpt2';
import { Rng } from '../model/rng';
import { checkSampling, sample } from '../model/sampling';
import { parseSafetensors } from '../model/safetensors';
import { TextTokenizer } from '../model/tokenizer';
import { gpt2Weights } from '../model/weights';
import { EngineStateError } from '../errors';
import { readSourceFile } from '../store/sources';
import type {
  EngineApi, ForwardRequest, ForwardResponse, GenerateEvent, GenerateRequest, GenerateResult,
  LoadProgress, ModelInfo, ModelSource, Tokens,
} from './api';

const decoder = new TextDecoder();

export class Engine implements EngineApi {
  private gpu: Gpu | null = null;
  private model: Gpt2 | null = null;
  private tokenizer: TextTokenizer | null = null;
  private modelInfo: ModelInfo | null = null;
  /** Bumped by cancel(); a generation stops when the value it started with changes. */
  private generation = 0;
  private busy: Promise<unknown> = Promise.resolve();

  constructor(private readonly gpuFactory = requestGpu) {}

  /** Runs GPU work one call at a time: forward passes share the KV cache. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.busy.then(fn, fn);
    this.busy = run.catch(() => undefined);
    return run;
  }

  async load(source: ModelSource, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
    return this.exclusive(async () => {
      const t0 = performance.now();
      const progress = (p: LoadProgress) => onProgress?.(p);
      // A lost device stays lost: loading again is how the user recovers, on a fresh device.
      if (!this.gpu || this.gpu.ctx.fatal) {
        this.model = null;
        this.gpu = new Gpu(await this.gpuFactory());
      }
      const onBytes = (file: string, loaded: number, total: number) => progress({ stage: 'fetch', file, loaded, total });
      const [configBuf, weightsBuf, tokBuf, tokCfgBuf] = await Promise.all([
        readSourceFile(source, 'config.json', false, onBytes),
        readSourceFile(source, 'model.safetensors', false, onBytes),
        readSourceFile(source, 'tokenizer.json', false, onBytes),
        readSourceFile(source, 'tokenizer_config.json', true, onBytes),
      ]);
      progress({ stage: 'parse', loaded: 0, total: 1 });
      const config = parseGpt2Config(decoder.decode(configBuf!), 'config.json');
      const weights = gpt2Weights(parseSafetensors(weightsBuf!, 'model.safetensors'), config);
      const tokenizer = TextTokenizer.fromJson(decoder.decode(tokBuf!), tokCfgBuf ? decoder.decode(tokCfgBuf) : null);
      progress({ stage: 'upload', loaded: 0, total: 1 });
      this.model?.destroy();
      this.model = null;
      const gpu = this.gpu;
      const model = await withErrorScopes(gpu.ctx, 'uploading the model weights', () => new Gpt2(gpu, config, weights));
      progress({ stage: 'compile', loaded: 0, total: 1 });
      await model.warm();
      checkAlive(this.gpu.ctx);
      this.model = model;
      this.tokenizer = tokenizer;
      let nParams = 0;
      for (const w of weights.values()) nParams += w.length;
      this.modelInfo = {
        config,
        adapter: this.gpu.ctx.adapter,
        features: this.gpu.ctx.features,
        nParams,
        weightBytes: nParams * 4,
        loadMs: performance.now() - t0,
      };
      progress({ stage: 'ready', loaded: 1, total: 1 });
      return this.modelInfo;
    });
  }

  async info(): Promise<ModelInfo | null> {
    return this.modelInfo;
  }

  private ready(): { model: Gpt2; tokenizer: TextTokenizer } {
    if (!this.model || !this.tokenizer || !this.gpu) throw new EngineStateError('No model is loaded yet. Call load() first.');
    checkAlive(this.gpu.ctx);
    return { model: this.model, tokenizer: this.tokenizer };
  }

  async tokenize(text: string): Promise<Tokens> {
    const { tokenizer } = this.ready();
    const ids = tokenizer.encode(text);
    return { ids, pieces: tokenizer.pieces(ids) };
  }

  async forward(req: ForwardRequest): Promise<ForwardResponse> {
    return this.exclusive(async () => {
      const { model, tokenizer } = this.ready();
      let ids = req.ids ?? tokenizer.encode(req.text ?? '');
      if (ids.length === 0) throw new EngineStateError('The prompt is empty: type some text.');
      let notice: string | undefined;
      const n = model.cfg.nCtx;
      if (ids.length > n) {
        notice = `The input is ${ids.length} tokens; the model's context is ${n}. Only the last ${n} tokens were analysed.`;
        ids = ids.slice(-n);
      }
      model.reset();
      const out = await model.forward(ids, { hooks: req.hooks, logits: req.logits ?? 'last' });
      const res: ForwardResponse = { ids, pieces: tokenizer.pieces(ids), logits: out.logits, hooks: out.hooks, notice };
      return Comlink.transfer(res, transferables(res));
    });
  }

  async generate(req: GenerateRequest, onEvent: (e: GenerateEvent) => void): Promise<GenerateResult> {
    checkSampling(req.sampling);
    if (!(Number.isInteger(req.maxNewTokens) && req.maxNewTokens >= 0)) {
      throw new RangeError(`maxNewTokens must be an integer >= 0, got ${req.maxNewTokens}`);
    }
    const myGeneration = this.generation;
    return this.exclusive(async () => {
      const { model, tokenizer } = this.ready();
      const nCtx = model.cfg.nCtx;
      const eos = req.stopAtEos === false ? null : model.cfg.eosTokenId;
      let ids = tokenizer.encode(req.prompt);
      if (ids.length === 0) ids = model.cfg.bosTokenId !== null ? [model.cfg.bosTokenId] : [0];
      if (ids.length >= nCtx) {
        const keep = Math.max(1, nCtx >> 1);
        onEvent({ type: 'notice', message: `The prompt is ${ids.length} tokens; the model's context is ${nCtx}. Kept the last ${keep} tokens.` });
        ids = ids.slice(-keep);
      }
      onEvent({ type: 'prompt', tokens: { ids, pieces: tokenizer.pieces(ids) } });
      const rng = new Rng(req.seed);
      const all = [...ids];
      const out: number[] = [];
      model.reset();
      let logits = (await model.forward(ids, { logits: 'last' })).logits;
      let reason: GenerateResult['reason'] = 'max_tokens';
      const t0 = performance.now();
      while (out.length < req.maxNewTokens) {
        if (this.generation !== myGeneration) {
          reason = 'cancelled';
          break;
        }
        const next = sample(logits, req.sampling, rng);
        out.push(next);
        all.push(next);
        onEvent({ type: 'token', index: out.length - 1, id: next, text: tokenizer.decode([next]) });
        if (next === eos) {
          reason = 'eos';
          break;
        }
        if (out.length === req.maxNewTokens) break;
        if (model.cache.free === 0) {
          // Context full: slide the window, keeping the most recent half.
          const keep = all.slice(-(nCtx >> 1));
          onEvent({ type: 'notice', message: `Reached the ${nCtx}-token context; continuing from the last ${keep.length} tokens.` });
          model.reset();
          logits = (await model.forward(keep, { logits: 'last' })).logits;
        } else {
          logits = (await model.forward([next], { logits: 'last' })).logits;
        }
      }
      const ms = performance.now() - t0;
      return {
        ids: out,
        text: tokenizer.decode(out),
        reason,
        promptTokens: ids.length,
        msPerToken: out.length ? ms / out.length : 0,
      };
    });
  }

  async cancel(): Promise<void> {
    this.generation++;
  }

  async dispose(): Promise<void> {
    this.generation++;
    await this.exclusive(async () => {
      this.model?.destroy();
      this.model = null;
      this.gpu?.device.destroy();
      this.gpu = null;
    });
  }
}

function transferables(res: ForwardResponse): ArrayBuffer[] {
  const set = new Set<ArrayBuffer>([res.logits.buffer as ArrayBuffer]);
  for (const h of Object.values(res.hooks)) set.add(h.buffer as ArrayBuffer);
  return [...set];
}
