// The one interface between the UI and the engine, implemented by Engine (in the worker, and
// directly in tests) and by the comlink proxy in client.ts. Every message type lives here.
import type { WeightDtype } from '../gpu/f16';
import type { AdapterDescription, GpuFeatures, WeightChoice } from '../gpu/device';
import type { ChatMessage } from '../model/chat';
import type { ModelConfig } from '../model/load';
import type { SamplingOptions } from '../model/sampling';
import type { SaeConfig, SaeOverrides } from '../sae/formats';
import type { SteeringSpec, SteerPositions } from '../sae/steering';
import type { HubAuth } from '../store/hub';
import type { StreamReport } from '../model/inspect';
import type { BuildDashboardsRequest, BuildDashboardsResult, BuildProgress } from '../dashboards/run';
import type { DirectLogitEntry, FeatureAttributionEntry } from '../model/attribution';
import type { TdaHit } from '../influence/index_file';

export type { BuildDashboardsRequest, BuildDashboardsResult, BuildProgress };

export type { ChatMessage, SteeringSpec, SteerPositions, WeightChoice, WeightDtype };

/** Where a model's files come from: a base URL (bundled or a Hub mirror) or files in memory. */
export type FileSource =
  /**
   * cache: keep the files in OPFS (resumable, checked, offline later): for Hub downloads.
   * auth: a Hub access token, sent as a bearer header only to its origin (never in a URL).
   */
  | { kind: 'url'; baseUrl: string; cache?: boolean; auth?: HubAuth }
  /** files: local File objects (read in slices, never whole) or bytes already in memory. */
  | { kind: 'files'; files: Record<string, Blob | ArrayBuffer> };

export type ModelSource = FileSource & {
  /** Names the model goes by (e.g. "gpt2", "gpt2-small"), checked against an SAE's model_name. */
  names?: string[];
  /** Weight storage on the GPU (default 'auto': f16 where the adapter has shader-f16). */
  weights?: WeightChoice;
};

/**
 * An SAE: a SAELens folder (cfg.json + sae_weights.safetensors) at a URL or as files, or a Gemma
 * Scope params.npz among the files (then `overrides.hookName` says where it reads).
 */
export type SaeSource = FileSource & {
  overrides?: SaeOverrides;
  /** Per-feature max activations (from feature data), for steering in multiples of them. */
  maxActivations?: Float32Array;
  /** Features returned per token (at most 64; default 32). */
  topK?: number;
  /** The files a URL folder holds, when known (a catalog entry): picks the format without probing. */
  listing?: string[];
};

export interface SaeInfo {
  config: SaeConfig;
  /** Shown to the user, e.g. an SAE trained on another model. */
  warnings: string[];
}

export interface AnalyzeRequest {
  text: string;
}

export interface AnalyzeResponse extends Tokens {
  /** K features per token: ids (0xffffffff pads) and activations, (T, K), strongest first. */
  k: number;
  topIdx: Uint32Array;
  topVal: Float32Array;
  /** Per token (|x - x_hat|, |x|): the SAE's reconstruction error and the activation norm, (T, 2). */
  error: Float32Array;
  notice?: string;
}

export interface FeatureActivations {
  features: number[];
  /** (T, n): activation of each asked feature at each token of the last analyzed prompt. */
  values: Float32Array;
}

/** A token and its logit (per unit length of the feature's decoder row). */
export interface TokenLogit {
  id: number;
  /** The token's text, as the tokenizer decodes it alone. */
  token: string;
  value: number;
}

export interface FeatureNeighbour {
  id: number;
  cosine: number;
}

/**
 * A feature from the SAE's weights alone, as Neuronpedia shows it (definitions and sources in
 * src/sae/feature_weights.ts): the logits table W_U . W_dec[i] / |W_dec[i]| (SAEDashboard's
 * top_logits / bottom_logits) and the decoder-cosine neighbours, the feature itself excluded.
 * Empty lists for a feature whose decoder row is zero.
 */
export interface FeatureWeights {
  feature: number;
  /** |W_dec[feature]|. */
  decoderNorm: number;
  /** The k tokens it promotes most, largest logit first. */
  topLogits: TokenLogit[];
  /** The k tokens it suppresses most, most negative first. */
  bottomLogits: TokenLogit[];
  /** The k features with the nearest decoder directions, largest cosine first. */
  neighbours: FeatureNeighbour[];
}

export interface LoadProgress {
  stage: 'fetch' | 'parse' | 'upload' | 'compile' | 'ready';
  file?: string;
  loaded: number;
  total: number;
  /** Downloads: speed, time left, and whether the file came from the local cache. */
  bytesPerSec?: number;
  etaSec?: number;
  fromCache?: boolean;
}

export interface ModelInfo {
  config: ModelConfig;
  adapter: AdapterDescription;
  features: GpuFeatures;
  nParams: number;
  /** Bytes of weights on the GPU. */
  weightBytes: number;
  /** How the matrices are stored (biases and layer norms are always f32), and what was asked. */
  weightDtype: WeightDtype;
  weightChoice: WeightChoice;
  loadMs: number;
  /** The tokenizer has a chat template: an instruct model, which chat (GenerateRequest.chat) can talk to. */
  chat?: boolean;
  /** The SAE loaded with the model (load()'s third argument), or null. */
  sae?: SaeInfo | null;
}

export interface GpuMemory {
  weights: number;
  activations: number;
  kvCache: number;
  sae: number;
  total: number;
  weightDtype: WeightDtype;
  shaderF16Available: boolean;
}

export interface Tokens {
  ids: number[];
  /** Each token's text, for display. */
  pieces: string[];
}

export interface ForwardRequest {
  text?: string;
  ids?: number[];
  hooks?: string[];
  logits?: 'last' | 'all' | 'none';
}

export interface ForwardResponse extends Tokens {
  /** (R, V): R = 1 for 'last', T for 'all'. */
  logits: Float32Array;
  /** Each (T, C). */
  hooks: Record<string, Float32Array>;
  /** Set when the input was longer than the context and was cut. */
  notice?: string;
}

export interface GenerateRequest {
  prompt: string;
  maxNewTokens: number;
  sampling: SamplingOptions;
  seed: number;
  /** Stop at the model's end-of-text token (default true). */
  stopAtEos?: boolean;
  /** With steering, a steered stream runs beside the baseline, same seed and sampling. */
  steering?: SteeringSpec[];
  /** Where the steering applies (default every position) and whether a leading BOS is left alone (default no). */
  steerAt?: { positions: SteerPositions; skipBos: boolean };
  /**
   * false: only the steered stream runs (the page keeps the baseline of an unchanged prompt, seed
   * and sampling); the result's baseline is then null. Default true.
   */
  baseline?: boolean;
  /**
   * Chat: the conversation so far, ending with the user's turn. The prompt (then ignored) is the
   * model's chat template rendered with it, and the replies stop at the template's end of turn
   * (<end_of_turn>, <|eot_id|>, <|im_end|>) or EOS. Needs a model with a chat template.
   */
  chat?: ChatMessage[];
  /** The steered stream's own side of the conversation (its earlier replies); default `chat`. */
  steeredChat?: ChatMessage[];
}

export type StreamName = 'baseline' | 'steered';

export type GenerateEvent =
  | { type: 'prompt'; tokens: Tokens }
  /** stop: the token that ended the stream (EOS, or a chat's end of turn), not part of the reply. */
  | { type: 'token'; stream: StreamName; index: number; id: number; text: string; stop?: boolean }
  | { type: 'notice'; message: string };

export interface StreamResult {
  ids: number[];
  text: string;
  reason: 'eos' | 'max_tokens' | 'cancelled';
  msPerToken: number;
}

export interface GenerateResult {
  baseline: StreamResult | null;
  steered: StreamResult | null;
  promptTokens: number;
}

/** What inspectGeneration reads: a finished generation's prompt and both streams' ids, and the steering it ran with. */
export interface InspectRequest {
  /** The prompt ids (the 'prompt' event's), and the steered side's own when a chat gave it one. */
  prompt: number[];
  steeredPrompt?: number[];
  baseline: number[];
  steered: number[];
  steering: SteeringSpec[];
  steerAt?: GenerateRequest['steerAt'];
}

export interface TokenAlternative {
  id: number;
  token: string;
  prob: number;
}

/** One stream's generated tokens, each with its probability, alternatives, KL and features (src/model/inspect.ts). */
export interface StreamInspection extends Omit<StreamReport, 'alternatives'> {
  pieces: string[];
  alternatives: TokenAlternative[][];
}

export interface GenerationReport {
  /** For the baseline, "own" is the unsteered model and "other" the steered one; for the steered stream the reverse. */
  baseline: StreamInspection;
  steered: StreamInspection;
  /** The first generated index where the two streams chose different tokens; null when they agree throughout. */
  divergence: number | null;
}

/** The most strengths one sweep runs. */
export const MAX_SWEEP = 16;

/** A dose-response sweep: the steered stream generated at each strength of one steered feature. */
export interface SweepRequest extends GenerateRequest {
  /** The index in `steering` of the feature whose strength varies (in its own unit). */
  target: number;
  /** 2..16 strengths, each run in turn. */
  strengths: number[];
}

export interface SweepPoint {
  strength: number;
  ids: number[];
  text: string;
  /** The target feature's mean activation on the generated tokens, read by the unsteered model. */
  featureMean: number;
  /** Mean per-token KL(steered || baseline) in nats over the generated tokens. */
  klMean: number;
}

export interface SweepResult {
  baseline: StreamResult;
  points: SweepPoint[];
  promptTokens: number;
}

export interface EngineApi {
  /**
   * Loads a model, and with it an SAE when one is given. Nothing changes until both are built: a
   * load that fails leaves the previous model and SAE in service.
   */
  load(source: ModelSource, onProgress?: (p: LoadProgress) => void, sae?: SaeSource | null): Promise<ModelInfo>;
  info(): Promise<ModelInfo | null>;
  /** GPU memory held by the model, its caches and the SAE. */
  memory(): Promise<GpuMemory | null>;
  tokenize(text: string): Promise<Tokens>;
  forward(req: ForwardRequest): Promise<ForwardResponse>;
  loadSae(source: SaeSource, onProgress?: (p: LoadProgress) => void): Promise<SaeInfo>;
  unloadSae(): Promise<void>;
  /** One forward pass: the tokens, each token's top SAE features and reconstruction error. */
  analyze(req: AnalyzeRequest): Promise<AnalyzeResponse>;
  /** Full per-token activations of chosen features, for the last analyzed prompt. */
  featureActivations(features: number[]): Promise<FeatureActivations>;
  /** A feature's top and bottom logits and decoder-cosine neighbours (k each, 1..100), from the weights, on the GPU. */
  featureWeights(feature: number, k?: number): Promise<FeatureWeights>;
  /** Streams events through onEvent; resolves when generation ends (also when cancelled). */
  generate(req: GenerateRequest, onEvent: (e: GenerateEvent) => void): Promise<GenerateResult>;
  /** Per generated token of both streams: probability, top alternatives, KL between the streams' models, SAE features; and where they diverge. */
  inspectGeneration(req: InspectRequest): Promise<GenerationReport>;
  /** Generates the steered stream at each strength of one feature (cancel() stops it), reporting each point as it is done. */
  sweep(req: SweepRequest, onPoint?: (p: SweepPoint, index: number) => void): Promise<SweepResult>;
  /** After GpuDeviceLost: a new device, with the model and SAE in service reloaded from the cache or the same files. */
  recover(onProgress?: (p: LoadProgress) => void): Promise<ModelInfo>;
  /** onLost is called when the browser reports the device lost, also between calls. */
  watchDeviceLoss(onLost: (message: string) => void): Promise<void>;
  /** Destroys the GPU device as a driver reset would: for tests, and the page's debug handle. */
  loseDevice(): Promise<void>;
  /** Stops the running generation after its current token, and any download in progress. */
  cancel(): Promise<void>;
  dispose(): Promise<void>;
  /**
   * Runs the model and SAE over a corpus and builds every feature's dashboard (density, histogram,
   * top and interval examples), reporting progress; cancel() stops it resumably. Stored in OPFS.
   */
  buildDashboards(req: BuildDashboardsRequest, onProgress?: (p: BuildProgress) => void): Promise<BuildDashboardsResult>;
  /** The top k (1..64, default 5) next tokens read from every layer's residual at every position, through the final norm and unembedding. */
  logitLens(req: LogitLensRequest): Promise<LogitLensResponse>;
  /** Per layer and head, the attention weights of the token at `position` over positions 0..position. */
  attentionPattern(req: AttentionPatternRequest): Promise<AttentionPatternResponse>;
  /** Which SAE features, at which positions, push the next-token logit (or a logit difference) at `position`. */
  attribute(req: AttributionRequest): Promise<AttributionResponse>;
  /** The training documents whose gradients most support and most oppose a completion (models that ship tda/). */
  influence(req: InfluenceRequest): Promise<InfluenceResponse>;
}

export interface LogitLensRequest {
  text: string;
  k?: number;
}

export interface LogitLensResponse extends Tokens {
  /** The residual each lens row reads: blocks.L.hook_resid_pre for every L, then the last hook_resid_post. */
  hooks: string[];
  k: number;
  /** (hooks.length, T, k): top token ids, most probable first, and their probabilities. */
  topIds: Uint32Array;
  topProbs: Float32Array;
  /** The pieces of topIds, (hooks.length, T, k). */
  topPieces: string[];
  notice?: string;
}

export interface AttentionPatternRequest {
  text: string;
  position: number;
}

export interface AttentionPatternResponse extends Tokens {
  position: number;
  nLayers: number;
  nHeads: number;
  /** (nLayers, nHeads, position + 1): each head's weights over positions 0..position; each row sums to 1. */
  weights: Float32Array;
  notice?: string;
}

/** Most (feature, position) rows attribute() returns. */
export const MAX_ATTRIBUTION_ROWS = 1000;

export interface AttributionRequest {
  text: string;
  /** The position whose next token is explained; default the last. */
  position?: number;
  /** The token whose logit is the target; default the model's top prediction there. */
  token?: number | null;
  /** When set, the target is logit[token] - logit[minusToken]. */
  minusToken?: number | null;
  /** Rows to return, largest |attribution| first (1..MAX_ATTRIBUTION_ROWS, default 200). */
  limit?: number;
}

/** A (feature, position) row: its activation and attribution (src/model/attribution.ts). */
export type AttributionRow = FeatureAttributionEntry;

export interface AttributionResponse extends Tokens {
  hook: string;
  position: number;
  token: number;
  tokenPiece: string;
  minusToken: number | null;
  minusPiece: string | null;
  /** The target's value: the logit, or the logit difference. */
  target: number;
  /** The model's top 10 next tokens at `position`, for picking a target. */
  candidates: Array<{ id: number; piece: string; prob: number }>;
  /** The largest |attribution| rows (cut to `limit`). */
  features: AttributionRow[];
  /** How many (feature, position) pairs were active in all. */
  active: number;
  /** (T) the sum of the feature attributions at each position. */
  total: Float32Array;
  /** (T) the SAE error node at each position: (x - x_hat) . gradient. */
  error: Float32Array;
  /** Direct logit attribution of the features active at `position` (through W_U, no final norm), largest |dla| first, cut to `limit`. */
  direct: DirectLogitEntry[];
  notice?: string;
}

export interface InfluenceRequest {
  /** The prompt. */
  text: string;
  /** The completion whose loss is attributed, as text (mind its leading space); default the model's top next token. */
  completion?: string;
  /** Documents to return on each side (1..50, default 8). */
  n?: number;
  /** Order by the gradient dot product (default; what the index is validated for) or by the cosine (ignores each document's gradient norm). */
  rank?: 'dot' | 'cosine';
}

/** A training document with its score and cosine against the completion's gradient (src/influence/index_file.ts). */
export type InfluenceDoc = TdaHit;

export interface InfluenceResponse extends Tokens {
  /** Where the completion starts in ids (ids = [bos] + prompt + completion). */
  start: number;
  /** The completion's summed cross-entropy (nats) under the model. */
  loss: number;
  support: InfluenceDoc[];
  oppose: InfluenceDoc[];
  /** Documents in the index. */
  nDocs: number;
  notice?: string;
}
