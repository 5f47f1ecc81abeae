// The main-thread side: an EngineApi backed by the worker. Callbacks cross as comlink proxies;
// errors arrive as Error objects whose `name` is the engine's error class.
import * as Comlink from 'comlink';
import workerUrl from './engine.worker.ts?worker&url';
import type { EngineApi, GenerateEvent, GenerateRequest, LoadProgress, ModelSource, SaeSource } from './api';

export interface EngineClient extends EngineApi {
  terminate(): void;
}

export function createEngineClient(): EngineClient {
  const worker = startWorker();
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
    featureWeights: (feature, k) => remote.featureWeights(feature, k),
    generate: (req: GenerateRequest, onEvent: (e: GenerateEvent) => void) => remote.generate(req, Comlink.proxy(onEvent)),
    inspectGeneration: (req) => remote.inspectGeneration(req),
    sweep: (req, onPoint) => remote.sweep(req, onPoint ? Comlink.proxy(onPoint) : undefined),
    recover: (onProgress) => remote.recover(onProgress ? Comlink.proxy(onProgress) : undefined),
    watchDeviceLoss: (onLost) => remote.watchDeviceLoss(Comlink.proxy(onLost)),
    loseDevice: () => remote.loseDevice(),
    cancel: () => remote.cancel(),
    dispose: () => remote.dispose(),
    buildDashboards: (req, onProgress) => remote.buildDashboards(req, onProgress ? Comlink.proxy(onProgress) : undefined),
    logitLens: (req) => remote.logitLens(req),
    attentionPattern: (req) => remote.attentionPattern(req),
    attribute: (req) => remote.attribute(req),
    influence: (req) => remote.influence(req),
    terminate: () => {
      remote[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}

/**
 * The built app starts the engine from a blob: URL that imports the worker's bundle: a blob:
 * worker inherits the page's Content-Security-Policy, and so its connect-src (the endpoints this
 * visit configured, see tools/csp.ts), where a worker from a URL would take the server's headers.
 * The dev server's worker is started plainly (its modules are served one by one).
 */
function startWorker(): Worker {
  if (import.meta.env.DEV) return new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'glassbox-engine' });
  const main = new URL(workerUrl, location.href).href;
  return new Worker(URL.createObjectURL(new Blob([`import ${JSON.stringify(main)};`], { type: 'text/javascript' })), { type: 'module', name: 'glassbox-engine' });
}
