// UI state for the engine: loading (model, SAE, feature data) with progress, and errors.
// Engine results are kept in $state.raw (typed arrays are never proxied).
import type { EngineClient } from '../../worker/client';
import type { LoadProgress, ModelInfo, SaeInfo } from '../../worker/api';
import type { FeatureCatalog } from './features.svelte';

export type Status = 'loading' | 'ready' | 'error';

export interface BundledModel {
  id: string;
  modelUrl: string;
  saeUrl: string;
  featuresUrl: string;
}

export function bundled(base: string, id: string, hook: string): BundledModel {
  const root = `${base}models/${id}/`;
  return { id, modelUrl: root, saeUrl: `${root}sae/${hook}/`, featuresUrl: `${root}features/` };
}

export class EngineState {
  status = $state<Status>('loading');
  progress = $state.raw<LoadProgress | null>(null);
  info = $state.raw<ModelInfo | null>(null);
  sae = $state.raw<SaeInfo | null>(null);
  error = $state.raw<{ name: string; message: string } | null>(null);

  constructor(
    readonly engine: EngineClient,
    private readonly catalog: FeatureCatalog,
  ) {}

  async load(m: BundledModel): Promise<boolean> {
    this.status = 'loading';
    this.error = null;
    try {
      const features = this.catalog.load(m.featuresUrl);
      this.info = await this.engine.load({ kind: 'url', baseUrl: m.modelUrl, names: [m.id] }, (p) => (this.progress = p));
      await features;
      this.progress = { stage: 'upload', file: 'SAE', loaded: 0, total: 1 };
      this.sae = await this.engine.loadSae({ kind: 'url', baseUrl: m.saeUrl, maxActivations: this.catalog.maxActs() });
      this.status = 'ready';
      return true;
    } catch (e) {
      this.fail(e);
      this.status = 'error';
      return false;
    }
  }

  /** Shows the error; a lost or exhausted device also takes the model out of service. */
  fail(e: unknown): void {
    const err = e as Error;
    if (err?.name === 'GenerationCancelled') return;
    this.error = { name: err?.name ?? 'Error', message: err?.message ?? String(e) };
    if (['GpuDeviceLost', 'GpuOutOfMemory'].includes(this.error.name)) this.status = 'error';
  }
}
