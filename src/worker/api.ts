// The one interface between the UI and the engine, implemented by Engine (in the worker, and
// directly in tests) and by the comlink proxy in client.ts. Every message type lives here.
import type { AdapterDescription, GpuFeatures } from '../gpu/device';
import type { Gpt2Config } from '../model/config';
import type { SamplingOptions } from '../model/sampling';

/** Where a model's files come from: a base URL (bundled or a Hub mirror) or files in memory. */
export type ModelSource =
  | { kind: 'url'; baseUrl: string }
  | { kind: 'files'; files: Record<string, ArrayBuffer> };

export interface LoadProgress {
  stage: 'fetch' | 'parse' | 'upload' | 'compile' | 'ready';
  file?: string;
  loaded: number;
  total: number;
}

export interface ModelInfo {
  config: Gpt2Config;
  adapter: AdapterDescription;
  features: GpuFeatures;
  nParams: number;
  /** Bytes of weights on the GPU. */
  weightBytes: number;
  loadMs: number;
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
}

export type GenerateEvent =
  | { type: 'prompt'; tokens: Tokens }
  | { type: 'token'; index: number; id: number; text: string }
  | { type: 'notice'; message: string };

export interface GenerateResult {
  ids: number[];
  text: string;
  reason: 'eos' | 'max_tokens' | 'cancelled';
  promptTokens: number;
  msPerToken: number;
}

export interface EngineApi {
  load(source: ModelSource, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo>;
  info(): Promise<ModelInfo | null>;
  tokenize(text: string): Promise<Tokens>;
  forward(req: ForwardRequest): Promise<ForwardResponse>;
  /** Streams events through onEvent; resolves when generation ends (also when cancelled). */
  generate(req: GenerateRequest, onEvent: (e: GenerateEvent) => void): Promise<GenerateResult>;
  /** Stops the running generation after its current token. */
  cancel(): Promise<void>;
  dispose(): Promise<void>;
}
