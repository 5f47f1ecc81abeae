// The engine: loads a model and an SAE, tokenizes, runs forwards and analyses, and streams
// generations. A plain class behind EngineApi, so tests drive it without a worker;
// engine.worker.ts only exposes it.
import * as Comlink from 'comlink';
import { EngineStateError, GpuDeviceLost, GpuOutOfMemory } from '../errors';
import { checkAlive, chooseWeightDtype, disposeDevice, lostError, requestGpu, withErrorScopes } from '../gpu/device';
import { Gpu } from '../gpu/gpu';
import { generateStreams } from '../model/generate';
import type { WeightDtype } from '../gpu/f16';
import { blameConfig, parseModelConfig, readModelWeights, type ModelConfig, type ModelWeights, type ReadFile } from '../model/load';
import { checkFits, estimateGpuMemory } from '../model/memory';
import type { Transformer } from '../model/transformer';
import { argmax, checkSampling } from '../model/sampling';
import { TextTokenizer } from '../model/tokenizer';
import { readSae } from '../sae/load';
import { checkSaeForModel, Sae } from '../sae/sae';
import { featureWeights, MAX_FEATURE_WEIGHTS_K } from '../sae/feature_weights';
import { gatherFeatures } from '../sae/gather';
import { MAX_TOPK } from '../kernels/sae_topk';
import { logitLens } from '../model/logit_lens';
import { ATTRIBUTION_HOOKS, attributionLayer, featureAttribution } from '../model/attribution';
import { Gpt2 } from '../model/gpt2';
import type { TdaIndex } from '../influence/index_file';
import { scoreDocs } from '../influence/index_file';
import { readTdaIndex } from '../influence/load';
import { queryGradient, uploadProjections, type TdaProjections } from '../influence/query_gradient';
import { steeringEntries, type SteeringSpec } from '../sae/steering';
import { divergencePoint, inspectStream, logSoftmax, topAlternatives } from '../model/inspect';
import { openSourceFile, readSourceFile, type OnBytes } from '../store/sources';
import { runBuild, type BuildDashboardsRequest, type BuildDashboardsResult, type BuildProgress } from '../dashboards/run';
import type {
  AnalyzeRequest, AnalyzeResponse, ChatMessage, EngineApi, FeatureActivations, FeatureWeights, ForwardRequest, ForwardResponse,
  AttributionRequest, AttributionResponse, InfluenceRequest, InfluenceResponse, GenerateEvent, GenerateRequest, GenerateResult, GenerationReport, LogitLensRequest, LogitLensResponse, AttentionPatternRequest, AttentionPatternResponse, GpuMemory, InspectRequest, StreamInspection, SweepPoint, SweepRequest, SweepResult, LoadProgress, ModelInfo, ModelSource, SaeInfo, SaeSource, Tokens,
} from './api';
import { MAX_ATTRIBUTION_ROWS, MAX_SWEEP } from './api';

/** Download bytes as 'fetch'-stage progress events. */
const fetchProgress =
  (onProgress?: (p: LoadProgress) => void): OnBytes =>
  (file, loaded, total, extra) =>
    onProgress?.({ stage: 'fetch', file, loaded, total, ...extra });

export class Engine implements EngineApi {
  private gpu: Gpu | null = null;
  private model: Transformer | null = null;
  private tokenizer: TextTokenizer | null = null;
  private modelInfo: ModelInfo | null = null;
  private modelNames: string[] = [];
  private maxActs: Float32Array | null = null;
  /** The last analyzed prompt; its SAE activations stay on the GPU while `analyzedFresh`. */
  private analyzed: number[] | null = null;
  private analyzedFresh = false;
  /**
   * What the last analyze() leaves for the next one: its ids, whose keys and values fill KV slot 0
   * (nothing else has written there since), and its per-token SAE results, copied to the CPU. The
   * next analyze keeps the cache of the common prefix and runs only the new tokens. Every
   * exclusive() call clears it unless it says it leaves slot 0 alone (see exclusive).
   */
  /** The loaded model's training-data index and its projections on the GPU, read on first use (undefined: not yet looked for). */
  private tda: { index: TdaIndex; proj: TdaProjections } | null | undefined = undefined;
  private reusable: { ids: number[]; k: number; topIdx: Uint32Array; topVal: Float32Array; error: Float32Array } | null = null;
  /** Bumped by cancel(); a generation stops when the value it started with changes. */
  private generation = 0;
  /** Aborts the downloads of the load in progress. */
  private downloads: AbortController | null = null;
  private busy: Promise<unknown> = Promise.resolve();

  constructor(private readonly gpuFactory = requestGpu) {}

  /**
   * Runs GPU work one call at a time: forward passes share buffers and KV caches. A call that
   * fails because the device was lost (a readback of a destroyed device fails first) reports the
   * loss, as a GpuDeviceLost, whatever error surfaced. Unless `keepsSlot0` (the call promises not
   * to write KV slot 0, or keeps `reusable` right itself), the last analysis stops being reusable:
   * a call added later is safe by default.
   */
  private exclusive<T>(fn: () => Promise<T>, keepsSlot0 = false): Promise<T> {
    const guarded = async () => {
      if (!keepsSlot0) this.reusable = null;
      try {
        return await fn();
      } catch (e) {
        throw (this.gpu && (await lostError(this.gpu.ctx))) || e;
      }
    };
    const run = this.busy.then(guarded, guarded);
    this.busy = run.catch(() => undefined);
    return run;
  }

  /** The sources of the model and SAE in service, to reload them after a device loss. */
  private loaded: { model: ModelSource; sae: SaeSource | null } | null = null;

  /**
   * After a lost device: a new device, and the model and SAE in service reloaded from where they
   * came (the download cache, the same local files), with no network for cached downloads.
   */
  async recover(onProgress?: (p: LoadProgress) => void): Promise<ModelInfo> {
    const last = this.loaded;
    if (!last) throw new EngineStateError('Nothing was loaded, so there is nothing to recover: load a model.');
    if (this.gpu && !this.gpu.ctx.fatal) return this.modelInfo!; // alive: nothing to do
    this.model = null; // its buffers went with the device
    return this.load(last.model, onProgress, last.sae);
  }

  private onLost: ((message: string) => void) | null = null;

  /** Calls back when the browser reports the device lost, between calls too (the UI recovers at once). */
  async watchDeviceLoss(onLost: (message: string) => void): Promise<void> {
    this.onLost = onLost;
  }

  /** Destroys the device as a driver reset would (for tests and the debug handle). */
  async loseDevice(): Promise<void> {
    this.gpu?.device.destroy();
  }

  async load(source: ModelSource, onProgress?: (p: LoadProgress) => void, saeSource?: SaeSource | null): Promise<ModelInfo> {
    return this.exclusive(async () => {
      const t0 = performance.now();
      const weightChoice = source.weights ?? 'auto';
      if (!['auto', 'f16', 'f32'].includes(weightChoice)) throw new EngineStateError(`weights must be 'auto', 'f16' or 'f32', got ${JSON.stringify(weightChoice)}`);
      const progress = (p: LoadProgress) => onProgress?.(p);
      // A lost device stays lost: loading again is how the user recovers, on a fresh device.
      if (!this.gpu || this.gpu.ctx.fatal) {
        this.model = null;
        this.gpu = new Gpu(await this.gpuFactory());
        this.gpu.ctx.onFatal = (err) => {
          if (err instanceof GpuDeviceLost) this.onLost?.(err.message);
        };
      }
      const onBytes = fetchProgress(progress);
      const signal = (this.downloads = new AbortController()).signal;
      const read: ReadFile = (file, optional) => openSourceFile(source, file, optional, onBytes, signal);
      const text = async (file: string, optional: boolean) => (await read(file, optional))?.text() ?? null;
      // config.json first (it is tiny): the memory estimate can refuse the model before its weights download
      const configText = (await text('config.json', false))!;
      let config: ModelConfig;
      try {
        config = parseModelConfig(configText, 'config.json');
      } catch (e) {
        throw source.kind === 'files' ? await blameConfig(e, configText, read) : e;
      }
      const weightDtype = chooseWeightDtype(weightChoice, this.gpu.ctx.features);
      const deviceMemoryGB = (globalThis.navigator as { deviceMemory?: number } | undefined)?.deviceMemory;
      checkFits(estimateGpuMemory(config, weightDtype), { ...this.gpu.ctx, deviceMemoryGB }, 'This model', weightDtype);
      // newer repos keep the chat template in chat_template.jinja rather than tokenizer_config.json
      const [tok, tokCfg, template] = await Promise.all([text('tokenizer.json', false), text('tokenizer_config.json', true), text('chat_template.jinja', true)]);
      const weights = await readModelWeights(config, read);
      progress({ stage: 'parse', loaded: 0, total: 1 });
      const tokenizer = TextTokenizer.fromJson(tok!, tokCfg, template);
      progress({ stage: 'upload', loaded: 0, total: 1 });
      // the previous model stays until the new one is built: a load that fails changes nothing
      const gpu = this.gpu;
      const model = await this.buildModel(weights, weightDtype);
      this.downloads = null;
      progress({ stage: 'compile', loaded: 0, total: 1 });
      let sae: Awaited<ReturnType<Engine['buildSae']>> | null = null;
      try {
        await model.warm();
        checkAlive(gpu.ctx);
        // the SAE, when one comes with the model, is checked against the new model before either is swapped in
        if (saeSource) sae = await this.buildSae(model, source.names ?? [], saeSource, onProgress);
      } catch (e) {
        model.destroy();
        throw e;
      }
      this.model?.destroy();
      this.model = model;
      this.dropTda();
      this.analyzed = null;
      this.analyzedFresh = false;
      this.maxActs = null;
      if (sae) this.attach(model, sae, saeSource!);
      this.loaded = { model: source, sae: saeSource ?? null };
      this.tokenizer = tokenizer;
      this.modelNames = source.names ?? [];
      this.modelInfo = {
        config,
        adapter: gpu.ctx.adapter,
        features: gpu.ctx.features,
        nParams: weights.nParams,
        weightBytes: model.gpuBytes().weights,
        weightDtype,
        weightChoice,
        loadMs: performance.now() - t0,
        chat: tokenizer.chatTemplate !== null,
        sae: sae?.info ?? null,
      };
      progress({ stage: 'ready', loaded: 1, total: 1 });
      return this.modelInfo;
    });
  }

  /**
   * Uploads the weights beside the current model. When that runs out of memory, the current model
   * is freed to make room and the upload tried once more (the error then says it was unloaded).
   */
  private async buildModel(weights: ModelWeights, dtype: WeightDtype): Promise<Transformer> {
    const gpu = this.gpu!;
    const attempt = async () => {
      let built: Transformer | null = null;
      try {
        return await withErrorScopes(gpu.ctx, 'uploading the model weights', async () => (built = await weights.build(gpu, dtype)));
      } catch (e) {
        (built as Transformer | null)?.destroy();
        throw e;
      }
    };
    try {
      return await attempt();
    } catch (e) {
      if (!(e instanceof GpuOutOfMemory) || !this.model) throw e;
      this.dropModel();
      try {
        return await attempt();
      } catch (again) {
        if (again instanceof GpuOutOfMemory) throw new GpuOutOfMemory(`${again.message} The previous model was unloaded to make room; load it again from the picker.`);
        throw again;
      }
    }
  }

  private dropTda(): void {
    if (this.tda) this.tda.proj.destroy();
    this.tda = undefined;
  }

  private dropModel(): void {
    this.dropTda();
    this.model?.destroy();
    this.model = null;
    this.tokenizer = null;
    this.modelInfo = null;
    this.analyzed = null;
    this.analyzedFresh = false;
  }

  async info(): Promise<ModelInfo | null> {
    return this.modelInfo;
  }

  async memory(): Promise<GpuMemory | null> {
    if (!this.model || !this.gpu) return null;
    return { ...this.model.gpuBytes(), weightDtype: this.model.weightDtype, shaderF16Available: this.gpu.ctx.features.shaderF16 };
  }

  private ready(): { model: Transformer; tokenizer: TextTokenizer } {
    if (!this.model || !this.tokenizer || !this.gpu) throw new EngineStateError('No model is loaded yet. Call load() first.');
    checkAlive(this.gpu.ctx);
    return { model: this.model, tokenizer: this.tokenizer };
  }

  private readySae(): { model: Transformer; tokenizer: TextTokenizer; sae: Sae } {
    const r = this.ready();
    if (!r.model.sae) throw new EngineStateError('No SAE is loaded. Load one first.');
    return { ...r, sae: r.model.sae };
  }

  async loadSae(source: SaeSource, onProgress?: (p: LoadProgress) => void): Promise<SaeInfo> {
    return this.exclusive(async () => {
      const { model } = this.ready();
      // the new SAE is built before the old one goes, so a refused SAE leaves the old in place
      const built = await this.buildSae(model, this.modelNames, source, onProgress);
      this.attach(model, built, source);
      if (this.loaded) this.loaded.sae = source;
      return built.info;
    });
  }

  /** Reads and checks an SAE for `model` and uploads it, without attaching it. */
  private async buildSae(model: Transformer, modelNames: string[], source: SaeSource, onProgress?: (p: LoadProgress) => void) {
    const onBytes = fetchProgress(onProgress);
    const signal = (this.downloads = new AbortController()).signal;
    // the format follows the files: params.npz, config.json + params.safetensors, or cfg.json + sae_weights.safetensors
    const listed = source.kind === 'files' ? Object.keys(source.files) : (source.listing ?? null);
    const read = (file: string, optional: boolean) => readSourceFile(source, file, optional, onBytes, signal);
    const parsed = await readSae(read, listed, source.overrides, source.kind === 'url' ? source.baseUrl : '');
    const warnings = checkSaeForModel(parsed.cfg, model.cfg, modelNames);
    const topK = source.topK ?? 32;
    if (!(Number.isInteger(topK) && topK >= 1 && topK <= 64)) throw new EngineStateError(`topK must be 1..64, got ${topK}`);
    const gpu = this.gpu!;
    let sae: Sae | null = null;
    try {
      await withErrorScopes(gpu.ctx, 'uploading the SAE', () => (sae = new Sae(gpu, parsed.cfg, parsed.weights, model.weightDtype)));
    } catch (e) {
      (sae as Sae | null)?.destroy();
      throw e;
    }
    return { sae: sae!, topK, info: { config: parsed.cfg, warnings } satisfies SaeInfo };
  }

  private attach(model: Transformer, built: { sae: Sae; topK: number }, source: SaeSource): void {
    model.sae?.destroy();
    model.attachSae(built.sae, built.topK);
    this.maxActs = source.maxActivations ?? null;
    this.analyzed = null;
    this.analyzedFresh = false;
  }

  async unloadSae(): Promise<void> {
    await this.exclusive(async () => {
      const { model } = this.ready();
      model.sae?.destroy();
      model.attachSae(null);
      if (this.loaded) this.loaded.sae = null;
      this.analyzed = null;
      this.analyzedFresh = false;
    });
  }

  async tokenize(text: string): Promise<Tokens> {
    const { tokenizer } = this.ready();
    const ids = tokenizer.encode(text);
    return { ids, pieces: tokenizer.pieces(ids) };
  }

  /** Tokenizes, cutting to the last `limit` tokens with a notice when the text is longer. */
  private promptIds(text: string | undefined, ids: number[] | undefined, limit: number): { ids: number[]; notice?: string } {
    const { tokenizer } = this.ready();
    const all = ids ?? tokenizer.encode(text ?? '');
    if (all.length === 0) throw new EngineStateError('The prompt is empty: type some text.');
    if (all.length <= limit) return { ids: all };
    return {
      ids: all.slice(-limit),
      notice: `The input is ${all.length} tokens; the model's context is ${this.model!.cfg.nCtx}. Only the last ${limit} tokens were used.`,
    };
  }

  async forward(req: ForwardRequest): Promise<ForwardResponse> {
    return this.exclusive(async () => {
      const { model, tokenizer } = this.ready();
      const { ids, notice } = this.promptIds(req.text, req.ids, model.cfg.nCtx);
      model.reset();
      this.analyzed = model.sae ? ids : null;
      this.analyzedFresh = this.analyzed !== null;
      const out = await model.forward(ids, { hooks: req.hooks, logits: req.logits ?? 'last' });
      const res: ForwardResponse = { ids, pieces: tokenizer.pieces(ids), logits: out.logits, hooks: out.hooks, notice };
      // logits and hooks are views of one read-back buffer: transfer it once.
      return Comlink.transfer(res, [res.logits.buffer as ArrayBuffer]);
    });
  }

  /**
   * Each token's top SAE features and reconstruction error. When the prompt shares a prefix with
   * the last analysis (typing: a character appended, removed or edited), the prefix's keys and
   * values stay in KV slot 0 and only the tokens after it run; the prefix's results come from the
   * last call. The answer is bit for bit a whole run's (tests/gpu/analyze_prefix.test.ts): every
   * kernel of a T > 1 forward computes a row the same way whatever T and the row's offset, and at
   * least two tokens always run, as T = 1 takes other kernels (matvec, the T=1 SAE encode) that
   * sum in another order.
   */
  async analyze(req: AnalyzeRequest): Promise<AnalyzeResponse> {
    return this.exclusive(async () => {
      const { model, tokenizer } = this.readySae();
      const { ids, notice } = this.promptIds(req.text, undefined, model.cfg.nCtx);
      const last = this.reusable;
      this.reusable = null; // until this forward has succeeded
      const T = ids.length;
      // Reused keys and values must come from T > 1 runs too: a one-token prompt ran the decode
      // kernels, and forward() cuts inputs longer than maxT in chunks. Those run whole.
      const reuse = last && last.ids.length > 1 && T <= model.maxT && model.cache(0).length === last.ids.length ? commonPrefix(last.ids, ids) : 0;
      const from = Math.max(0, Math.min(reuse, T - 2));
      model.cache(0).length = from;
      const sae = (await model.forward(ids.slice(from), { logits: 'none' })).sae!;
      this.analyzed = ids;
      this.analyzedFresh = from === 0; // the SAE's activation buffer holds the suffix's rows only
      const K = sae.topIdx.length / (T - from);
      // one buffer for all three (one transfer): the kept prefix's rows, then the new ones
      const buf = new ArrayBuffer(T * (2 * K + 2) * 4);
      const topIdx = new Uint32Array(buf, 0, T * K);
      const topVal = new Float32Array(buf, T * K * 4, T * K);
      const error = new Float32Array(buf, 2 * T * K * 4, 2 * T);
      if (from) {
        topIdx.set(last!.topIdx.subarray(0, from * K));
        topVal.set(last!.topVal.subarray(0, from * K));
        error.set(last!.error.subarray(0, 2 * from));
      }
      topIdx.set(sae.topIdx, from * K);
      topVal.set(sae.topVal, from * K);
      error.set(sae.err, 2 * from);
      // copies: the transfer below empties `buf` on this side of a worker
      this.reusable = { ids, k: K, topIdx: topIdx.slice(), topVal: topVal.slice(), error: error.slice() };
      const res: AnalyzeResponse = { ids, pieces: tokenizer.pieces(ids), k: K, topIdx, topVal, error, notice };
      return Comlink.transfer(res, [buf]);
    }, true);
  }

  async featureActivations(features: number[]): Promise<FeatureActivations> {
    return this.exclusive(async () => {
      const { model, sae } = this.readySae();
      if (!this.analyzed) throw new EngineStateError('Nothing has been analyzed yet: call analyze() first.');
      const S = sae.cfg.dSae;
      for (const f of features) {
        if (!(Number.isInteger(f) && f >= 0 && f < S)) throw new EngineStateError(`Feature ${f} does not exist: the SAE has features 0..${S - 1}.`);
      }
      const T = this.analyzed.length;
      if (features.length === 0) return { features, values: new Float32Array(0) };
      if (T > model.maxT) {
        throw new EngineStateError(`The prompt's ${T} tokens exceed the ${model.maxT} whose activations stay on the GPU; analyze a shorter prompt.`);
      }
      if (!this.analyzedFresh) {
        // a generation has since used the GPU buffers, or analyze() ran only the prompt's new
        // tokens: run the analyzed prompt again, whole
        const last = this.reusable;
        this.reusable = null;
        model.reset();
        await model.forward(this.analyzed, { logits: 'none' });
        this.analyzedFresh = true;
        // slot 0 holds the analyzed prompt again, so the last analysis stays reusable
        if (last?.ids === this.analyzed) this.reusable = last;
      }
      const values = await gatherFeatures(this.gpu!, model.saeActs!, S, T, features);
      checkAlive(this.gpu!.ctx);
      return Comlink.transfer({ features, values }, [values.buffer]);
    }, true);
  }

  async featureWeights(feature: number, k = 10): Promise<FeatureWeights> {
    return this.exclusive(async () => {
      const { model, tokenizer, sae } = this.readySae();
      const { dSae: S, dIn: C } = sae.cfg;
      if (!(Number.isInteger(feature) && feature >= 0 && feature < S)) throw new EngineStateError(`Feature ${feature} does not exist: the SAE has features 0..${S - 1}.`);
      if (!(Number.isInteger(k) && k >= 1 && k <= MAX_FEATURE_WEIGHTS_K)) throw new EngineStateError(`k must be 1..${MAX_FEATURE_WEIGHTS_K}, got ${k}`);
      const raw = await featureWeights(this.gpu!, { wDec: sae.wDec, unembed: model.unembed, S, C, V: model.cfg.vocabSize, feature, k });
      checkAlive(this.gpu!.ctx);
      const logit = ({ id, value }: { id: number; value: number }) => ({ id, token: piece(tokenizer, id), value });
      return {
        feature, decoderNorm: raw.norm, topLogits: raw.top.map(logit), bottomLogits: raw.bottom.map(logit),
        neighbours: raw.neighbours.map(({ id, value }) => ({ id, cosine: value })),
      };
    }, true); // reads the weights alone
  }

  async generate(req: GenerateRequest, onEvent: (e: GenerateEvent) => void): Promise<GenerateResult> {
    const myGeneration = this.checkGenerate(req);
    return this.exclusive(async () => {
      const { model, tokenizer } = this.ready();
      const steering = req.steering ?? [];
      if (!steering.length && req.baseline === false) throw new EngineStateError('Nothing to generate: no baseline was asked for and nothing is steered.');
      const { ids, chat } = this.generationPrompt(req, (message) => onEvent({ type: 'notice', message }));
      this.setSteering(steering, req.steerAt, chat?.steeredIds ?? ids);
      onEvent({ type: 'prompt', tokens: { ids, pieces: tokenizer.pieces(ids) } });
      this.analyzedFresh = false;
      const opts = {
        baseline: req.baseline !== false,
        ...(chat ? { stopIds: tokenizer.chatStopIds(model.eosIds), steeredPrompt: chat.steeredIds } : {}),
      };
      const streams = await generateStreams(model, tokenizer, req, ids, steering.length > 0, onEvent, () => this.generation !== myGeneration, opts);
      return { baseline: streams.baseline, steered: streams.steered, promptTokens: ids.length };
    });
  }

  /** Checks a generation's settings; returns the cancel counter it starts with. */
  private checkGenerate(req: GenerateRequest): number {
    checkSampling(req.sampling);
    if (!(Number.isInteger(req.maxNewTokens) && req.maxNewTokens >= 0)) {
      throw new RangeError(`maxNewTokens must be an integer >= 0, got ${req.maxNewTokens}`);
    }
    return this.generation;
  }

  /** The prompt ids a generation starts from (cut to half the context when longer), and a chat's. */
  private generationPrompt(req: GenerateRequest, notice: (message: string) => void): { ids: number[]; chat: { ids: number[]; steeredIds?: number[] } | null } {
    const { model, tokenizer } = this.ready();
    const nCtx = model.cfg.nCtx;
    const chat = req.chat ? this.chatPrompt(req.chat, req.steeredChat, (req.steering ?? []).length > 0) : null;
    let ids = chat?.ids ?? tokenizer.encode(req.prompt);
    if (ids.length === 0) ids = [model.cfg.bosTokenId ?? 0];
    if (!chat && ids.length >= nCtx) {
      const keep = Math.max(1, nCtx >> 1);
      notice(`The prompt is ${ids.length} tokens; the model's context is ${nCtx}. Kept the last ${keep} tokens.`);
      ids = ids.slice(-keep);
    }
    return { ids, chat };
  }

  /** Writes the steering for a steered stream whose prompt is `steeredIds` (positions count from its start). */
  private setSteering(steering: SteeringSpec[], at: GenerateRequest['steerAt'], steeredIds: number[]): void {
    if (!steering.length) return;
    const { model } = this.ready();
    if (!model.sae) throw new EngineStateError('Steering needs an SAE: load one first.');
    const scope = { ...(at ?? { positions: 'all', skipBos: false }), promptLength: steeredIds.length, startsWithBos: steeredIds[0] === model.cfg.bosTokenId };
    model.setSteering(steeringEntries(steering, { dSae: model.sae.cfg.dSae, decoderNorms: model.sae.decoderNorms }, this.maxActs, scope));
  }

  async inspectGeneration(req: InspectRequest): Promise<GenerationReport> {
    return this.exclusive(async () => {
      const { model, tokenizer } = this.readySae();
      const nCtx = model.cfg.nCtx;
      for (const [name, prompt, gen] of [['baseline', req.prompt, req.baseline], ['steered', req.steeredPrompt ?? req.prompt, req.steered]] as const) {
        if (prompt.length === 0) throw new EngineStateError('inspectGeneration: the prompt is empty.');
        if (prompt.length + gen.length > nCtx) {
          throw new EngineStateError(`The ${name} text is ${prompt.length + gen.length} tokens, longer than the model's ${nCtx}-token context: it slid during generation and cannot be inspected whole.`);
        }
      }
      this.setSteering(req.steering, req.steerAt, req.steeredPrompt ?? req.prompt);
      this.analyzedFresh = false;
      const named = async (prompt: number[], ids: number[], steered: boolean): Promise<StreamInspection> => {
        const r = await inspectStream(model, prompt, ids, steered);
        checkAlive(this.gpu!.ctx);
        const { otherFeatures: _, ...report } = r;
        return { ...report, pieces: tokenizer.pieces(ids), alternatives: r.alternatives.map((alts) => alts.map((a) => ({ ...a, token: piece(tokenizer, a.id) }))) };
      };
      const baseline = await named(req.prompt, req.baseline, false);
      const steered = await named(req.steeredPrompt ?? req.prompt, req.steered, true);
      return { baseline, steered, divergence: divergencePoint(req.baseline, req.steered) };
    });
  }

  async sweep(req: SweepRequest, onPoint?: (p: SweepPoint, index: number) => void): Promise<SweepResult> {
    const myGeneration = this.checkGenerate(req);
    const steering = req.steering ?? [];
    const target = steering[req.target];
    if (!target) throw new EngineStateError(`sweep: target ${req.target} is not one of the ${steering.length} steered features.`);
    if (!(req.strengths.length >= 2 && req.strengths.length <= MAX_SWEEP && req.strengths.every(Number.isFinite))) {
      throw new EngineStateError(`sweep: give 2..${MAX_SWEEP} finite strengths, got ${req.strengths.length}.`);
    }
    if (req.chat) throw new EngineStateError('sweep: a strength sweep runs on a plain prompt, not a chat.');
    return this.exclusive(async () => {
      const { model, tokenizer } = this.readySae();
      const { ids } = this.generationPrompt(req, () => {});
      this.analyzedFresh = false;
      const cancelled = () => this.generation !== myGeneration;
      const base = await generateStreams(model, tokenizer, req, ids, false, () => {}, cancelled, {});
      const points: SweepPoint[] = [];
      for (const [i, strength] of req.strengths.entries()) {
        if (cancelled()) break;
        const specs = steering.map((s, j) => (j === req.target ? { ...s, value: strength } : s));
        this.setSteering(specs, req.steerAt, ids);
        const run = await generateStreams(model, tokenizer, req, ids, true, () => {}, cancelled, { baseline: false });
        const gen = run.steered!;
        if (gen.reason === 'cancelled') break;
        const r = await inspectStream(model, ids, gen.ids, true, 0, [target.feature]);
        checkAlive(this.gpu!.ctx);
        const mean = (a: Float32Array) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : 0);
        const point: SweepPoint = { strength, ids: gen.ids, text: gen.text, featureMean: mean(r.otherFeatures), klMean: mean(r.kl) };
        points.push(point);
        onPoint?.(point, i);
      }
      return { baseline: base.baseline!, points, promptTokens: ids.length };
    });
  }

  /** A chat's prompt ids (the rendered template, with its own <bos>), and the steered side's when it differs. */
  private chatPrompt(chat: ChatMessage[], steeredChat: ChatMessage[] | undefined, steered: boolean): { ids: number[]; steeredIds?: number[] } {
    const { model, tokenizer } = this.ready();
    const nCtx = model.cfg.nCtx;
    const encode = (messages: ChatMessage[]) => {
      const ids = tokenizer.encodeChat(messages);
      if (ids.length >= nCtx) {
        throw new EngineStateError(`The conversation is ${ids.length} tokens; the model's context is ${nCtx}. Start a new conversation.`);
      }
      return ids;
    };
    return { ids: encode(chat), steeredIds: steered && steeredChat ? encode(steeredChat) : undefined };
  }

  async cancel(): Promise<void> {
    this.generation++;
    this.downloads?.abort();
  }

  async dispose(): Promise<void> {
    this.generation++;
    await this.exclusive(async () => {
      this.model?.sae?.destroy();
      this.model?.destroy();
      this.model = null;
      if (this.gpu) disposeDevice(this.gpu.ctx);
      this.gpu = null;
    });
  }

  /**
   * Builds feature dashboards for the loaded SAE from a corpus (src/dashboards/run.ts); cancel()
   * stops it with its state saved, and the same request then resumes it.
   */
  async buildDashboards(req: BuildDashboardsRequest, onProgress?: (p: BuildProgress) => void): Promise<BuildDashboardsResult> {
    const myGeneration = this.generation;
    return this.exclusive(async () => {
      const { model, tokenizer, sae } = this.readySae();
      this.analyzedFresh = false; // the build's forwards overwrite the analyzed prompt's activations
      const res = await runBuild({ gpu: this.gpu!, model, tokenizer, hookName: sae.cfg.hookName }, req, (p) => onProgress?.(p), () => this.generation !== myGeneration);
      checkAlive(this.gpu!.ctx);
      // an SAE that came without feature data now has max activations: steering in multiples of them works
      if (res.dashboards && !this.maxActs) this.maxActs = Float32Array.from(res.dashboards.summaries, (f) => f.maxAct);
      return res;
    });
  }

  async logitLens(req: LogitLensRequest): Promise<LogitLensResponse> {
    return this.exclusive(async () => {
      const { model, tokenizer } = this.ready();
      const { ids, notice } = this.promptIds(req.text, undefined, model.cfg.nCtx);
      const k = req.k ?? 5;
      const kMax = Math.min(MAX_TOPK, model.cfg.vocabSize);
      if (!(Number.isInteger(k) && k >= 1 && k <= kMax)) throw new EngineStateError(`k must be 1..${kMax}, got ${k}`);
      model.reset();
      this.analyzedFresh = false; // this forward overwrote the analyzed prompt's SAE activations
      const lens = await logitLens(model, ids, k);
      checkAlive(this.gpu!.ctx);
      const res: LogitLensResponse = {
        ids, pieces: tokenizer.pieces(ids), hooks: lens.hooks, k, topIds: lens.ids, topProbs: lens.probs,
        topPieces: Array.from(lens.ids, (id) => piece(tokenizer, id)), notice,
      };
      return Comlink.transfer(res, [lens.ids.buffer, lens.probs.buffer]);
    });
  }

  async attentionPattern(req: AttentionPatternRequest): Promise<AttentionPatternResponse> {
    return this.exclusive(async () => {
      const { model, tokenizer } = this.ready();
      const { ids, notice } = this.promptIds(req.text, undefined, model.cfg.nCtx);
      const { position } = req;
      if (!(Number.isInteger(position) && position >= 0 && position < ids.length)) throw new EngineStateError(`position must be 0..${ids.length - 1}, got ${position}`);
      model.reset();
      this.analyzedFresh = false;
      // causal: the tokens after `position` change nothing it attends to, so they do not run
      const out = await model.forward(ids.slice(0, position + 1), { logits: 'none', pattern: true });
      const weights = out.pattern!.slice();
      const res: AttentionPatternResponse = { ids, pieces: tokenizer.pieces(ids), position, nLayers: model.cfg.nLayers, nHeads: model.cfg.nHeads, weights, notice };
      return Comlink.transfer(res, [weights.buffer]);
    });
  }

  async attribute(req: AttributionRequest): Promise<AttributionResponse> {
    return this.exclusive(async () => {
      const { model, tokenizer, sae } = this.readySae();
      const { ids, notice } = this.promptIds(req.text, undefined, model.maxT);
      const position = req.position ?? ids.length - 1;
      if (!(Number.isInteger(position) && position >= 0 && position < ids.length)) throw new EngineStateError(`position must be 0..${ids.length - 1}, got ${position}`);
      const V = model.cfg.vocabSize;
      for (const [name, tok] of [['token', req.token], ['minusToken', req.minusToken]] as const) {
        if (tok != null && !(Number.isInteger(tok) && tok >= 0 && tok < V)) throw new EngineStateError(`${name} must be a token id 0..${V - 1}, got ${tok}`);
      }
      const limit = req.limit ?? 200;
      if (!(Number.isInteger(limit) && limit >= 1 && limit <= MAX_ATTRIBUTION_ROWS)) throw new EngineStateError(`limit must be 1..${MAX_ATTRIBUTION_ROWS}, got ${limit}`);
      if (attributionLayer(sae.cfg.hookName, model.cfg.nLayers) === null) throw new EngineStateError(`This SAE reads ${sae.cfg.hookName}: ${ATTRIBUTION_HOOKS}.`);
      this.analyzedFresh = false; // this forward overwrites the analyzed prompt's SAE activations
      // causal: tokens after `position` cannot change its logits
      const run = ids.slice(0, position + 1);
      const res = await featureAttribution(model, run, { position, token: req.token ?? null, minusToken: req.minusToken ?? null }, { limit });
      checkAlive(this.gpu!.ctx);
      const top = topAlternatives(logSoftmax(res.logits), 10);
      const total = new Float32Array(ids.length);
      const error = new Float32Array(ids.length);
      total.set(res.total);
      error.set(res.error);
      const out: AttributionResponse = {
        ids, pieces: tokenizer.pieces(ids), hook: res.hook, position, token: res.token, tokenPiece: piece(tokenizer, res.token),
        minusToken: req.minusToken ?? null, minusPiece: req.minusToken != null ? piece(tokenizer, req.minusToken) : null, target: res.target,
        candidates: top.map(({ id, prob }) => ({ id, piece: piece(tokenizer, id), prob })),
        features: res.features, active: res.active, total, error, direct: res.direct.slice(0, limit), notice,
      };
      return Comlink.transfer(out, [total.buffer, error.buffer]);
    });
  }

  async influence(req: InfluenceRequest): Promise<InfluenceResponse> {
    return this.exclusive(async () => {
      const { model, tokenizer } = this.ready();
      if (!(model instanceof Gpt2)) throw new EngineStateError('Training-data attribution needs a model that ships a training-data index (tda/); this one does not.');
      const n = req.n ?? 8;
      if (!(Number.isInteger(n) && n >= 1 && n <= 50)) throw new EngineStateError(`n must be 1..50, got ${n}`);
      const rank = req.rank ?? 'dot';
      if (rank !== 'dot' && rank !== 'cosine') throw new EngineStateError(`rank must be 'dot' or 'cosine', got ${JSON.stringify(rank)}`);
      if (this.tda === undefined) {
        const source = this.loaded!.model;
        const index = await readTdaIndex((file, optional) => openSourceFile(source, file, optional));
        this.tda = index ? { index, proj: uploadProjections(this.gpu!, index) } : null;
      }
      if (!this.tda) throw new EngineStateError('This model ships no training-data index (tda/index.json): training-data attribution is available for the bundled glassbox-mini.');
      const { index, proj } = this.tda;
      const limit = Math.min(index.maxTokens, model.cfg.nCtx);
      const { ids: prompt, notice } = this.promptIds(req.text, undefined, limit - 1);
      const ids = index.bosId !== null && prompt[0] !== index.bosId ? [index.bosId, ...prompt] : prompt;
      const start = ids.length;
      this.analyzedFresh = false; // these forwards overwrite the analyzed prompt's SAE activations
      if (req.completion) ids.push(...tokenizer.encode(req.completion));
      else {
        model.reset();
        const { logits } = await model.forward(ids, { logits: 'last' });
        ids.push(argmax(logits));
      }
      if (ids.length === start) throw new EngineStateError('The completion is empty: type the text the prompt should continue with.');
      if (ids.length > limit) throw new EngineStateError(`The prompt and completion are ${ids.length} tokens; the index's documents are at most ${limit}. Shorten them.`);
      const { q, loss } = await queryGradient(model, proj, index, ids, start);
      checkAlive(this.gpu!.ctx);
      const { support, oppose } = scoreDocs(index, q, n, rank);
      return { ids, pieces: tokenizer.pieces(ids), start, loss, support, oppose, nDocs: index.nDocs, notice };
    });
  }
}

/** How many leading ids a and b share. */
function commonPrefix(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** One token's text, or <id> for an id the tokenizer does not know (a padded vocabulary's). */
function piece(tokenizer: TextTokenizer, id: number): string {
  try {
    return tokenizer.pieces([id])[0];
  } catch {
    return `<${id}>`;
  }
}
