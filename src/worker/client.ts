// The main-thread side: an EngineApi backed by the worker. Callbacks cross as comlink proxies;
// errors arrive as Error objects whose `name` is the engine's error class.
import * as Comlink from 'comlink';
import type { EngineApi, GenerateEvent, GenerateRequest, LoadProgress, ModelSource, SaeSource } from './api';

export interface EngineClient extends EngineApi {
  terminate(): void;
}

export function createEngineClient(): EngineClient {
  const worker = new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'glassbox-engine' });
  const remote = Comlink.wrap<EngineApi>(worker);
  return {
    load: (source: ModelSource, onProgress?: (p: LoadProgress) => void, sae?: SaeSource | null) =>
      remote.load(source, onProgress ? Comlink.proxy(onProgress) : undefined, sae),
    info: () => remote.info(),
    memory: () => remote.memory(),
    tokenize: (text) => remote.tokenize(text),
    forward: (req) => remote.forward(req),
    loadSae: (source, onProgress) => remote.loadSae(source, onProgress ? Comlink.proxy(onProgress) : undefined),
    unloadSae: () => remote.unloadSae(),
    analyze: (req) => remote.analyze(req),
    featureActivations: (features) => remote.featureActivations(features),
    generate: (req: GenerateRequest, onEvent: (e: GenerateEvent) => void) => remote.generate(req, Comlink.proxy(onEvent)),
    recover: (onProgress) => remote.recover(onProgress ? Comlink.proxy(onProgress) : undefined),
    loseDevice: () => remote.loseDevice(),
    cancel: () => remote.cancel(),
    dispose: () => remote.dispose(),
    terminate: () => {
      remote[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}
