// UI state for the engine: which model and SAE (bundled, from the Hub, or local files),
// loading with progress (bytes, speed, time left), GPU memory, and errors.
// Engine results are kept in $state.raw (typed arrays are never proxied).
import type { EngineClient } from '../../worker/client';
import type { GpuMemory, LoadProgress, ModelInfo, SaeInfo, SaeSource, ModelSource, WeightChoice } from '../../worker/api';
import { MODELS, SAES, saeListing } from '../../store/catalog';
import { formatRepoRef, hubAuth, hubEndpoint, hubFolderUrl, parseRepoId, type RepoRef } from '../../store/hub';
import { loadLabels, saveLabels, type Labels } from '../../store/labels';
import { FeatureCatalog } from './features.svelte';
import { DEFAULTS } from './url';

/** idle: nothing loaded and nothing loading (a link that named local files waits for them). */
export type Status = 'idle' | 'loading' | 'ready' | 'error';

const WEIGHTS_SETTING = 'glassbox-weights';
const savedWeights = (): WeightChoice => {
  const v = globalThis.localStorage?.getItem(WEIGHTS_SETTING);
  return v === 'f16' || v === 'f32' ? v : 'auto';
};

/** What to load: the bundled model, a catalog entry from the Hub, or files the user picked. */
/** repoSae: an SAE repo folder by id, loaded in place of the choice's own SAE. */
export type ModelChoice =
  | { kind: 'bundled'; id: string; hook: string; repoSae?: RepoRef }
  | { kind: 'hub'; modelId: string; saeId: string; repoSae?: RepoRef }
  /** Any supported model repo by id (owner/name[/folder][@revision]), as from_pretrained loads it. */
  | { kind: 'repo'; ref: RepoRef; repoSae?: RepoRef }
  | { kind: 'local'; name: string; model: Record<string, Blob | ArrayBuffer>; sae: Record<string, Blob | ArrayBuffer> | null; hook?: string };

export class EngineState {
  status = $state<Status>('loading');
  progress = $state.raw<LoadProgress | null>(null);
  info = $state.raw<ModelInfo | null>(null);
  sae = $state.raw<SaeInfo | null>(null);
  memory = $state.raw<GpuMemory | null>(null);
  error = $state.raw<{ name: string; message: string } | null>(null);
  choice = $state.raw<ModelChoice | null>(null);
  /** Weight storage for the next load: a setting, kept across visits. */
  weights = $state<WeightChoice>(savedWeights());

  constructor(
    readonly engine: EngineClient,
    private readonly catalog: FeatureCatalog,
  ) {}

  /** The SAE repo folder loaded by id (Load SAE), which the URL names so that a link reloads it. */
  repoSae = $state.raw<RepoRef | null>(null);

  /** Short names for the URL: model and SAE ids. */
  get ids(): { model: string; sae: string } {
    const c = this.choice;
    if (!c) return { model: '', sae: '' };
    const repoSae = this.repoSae ? formatRepoRef(this.repoSae) : null;
    if (c.kind === 'bundled') return { model: c.id, sae: repoSae ?? c.hook };
    if (c.kind === 'hub') return { model: c.modelId, sae: repoSae ?? c.saeId };
    if (c.kind === 'repo') return { model: formatRepoRef(c.ref), sae: repoSae ?? '' };
    return { model: 'local', sae: '' };
  }

  /** An SAE from local files was loaded onto the current model (from the picker). */
  localSae = $state(false);

  /** Where imported labels of the loaded SAE are cached: catalog SAEs only (local ones have no stable name). */
  get labelKey(): string | null {
    return this.choice?.kind === 'hub' && !this.localSae ? `${this.ids.model}/${this.ids.sae}` : null;
  }

  /** Labels imported by the user: shown at once, and cached for this SAE where possible. */
  async importLabels(labels: Labels): Promise<{ total: number; kept: boolean }> {
    const total = this.catalog.addLabels(labels);
    const kept = this.labelKey ? await saveLabels(this.labelKey, this.catalog.imported).catch(() => false) : false;
    return { total, kept };
  }

  private sources(c: ModelChoice): { model: ModelSource; sae: SaeSource | null; features: string | null } {
    const own = this.ownSources(c);
    // an SAE repo by id replaces the choice's own SAE (and the bundled SAE's feature data)
    return c.kind !== 'local' && c.repoSae ? { ...own, sae: repoSaeSource(c.repoSae), features: null } : own;
  }

  private ownSources(c: ModelChoice): { model: ModelSource; sae: SaeSource | null; features: string | null } {
    if (c.kind === 'bundled') {
      // absolute: the engine's worker runs from a blob: URL, against which a path does not resolve
      const root = new URL(`${import.meta.env.BASE_URL}models/${c.id}/`, location.href).href;
      return {
        model: { kind: 'url', baseUrl: root, names: [c.id] },
        sae: { kind: 'url', baseUrl: `${root}sae/${c.hook}/` },
        features: `${root}features/`,
      };
    }
    if (c.kind === 'hub') {
      const hub = hubEndpoint();
      const m = MODELS.find((x) => x.id === c.modelId);
      const s = SAES.find((x) => x.id === c.saeId);
      if (!m || !s) throw new Error(`Unknown catalog entry ${c.modelId} / ${c.saeId}`);
      // the token (when saved) travels in the source to the worker, which sends it to this endpoint only
      const auth = hubAuth(hub);
      return {
        model: { kind: 'url', baseUrl: hubFolderUrl(hub, m.repo), cache: true, names: m.names, auth },
        sae: { kind: 'url', baseUrl: hubFolderUrl(hub, s.repo, s.folder), cache: true, overrides: s.overrides, listing: saeListing(s), auth },
        features: null,
      };
    }
    if (c.kind === 'repo') {
      const hub = hubEndpoint();
      const { repo, folder, revision } = c.ref;
      return { model: { kind: 'url', baseUrl: hubFolderUrl(hub, repo, folder, revision), cache: true, names: [repo], auth: hubAuth(hub) }, sae: null, features: null };
    }
    return {
      model: { kind: 'files', files: c.model },
      sae: c.sae ? { kind: 'files', files: c.sae, overrides: c.hook ? { hookName: c.hook } : undefined } : null,
      features: null,
    };
  }

  setWeights(w: WeightChoice): void {
    this.weights = w;
    if (w === 'auto') localStorage.removeItem(WEIGHTS_SETTING);
    else localStorage.setItem(WEIGHTS_SETTING, w);
  }

  async load(c: ModelChoice): Promise<boolean> {
    const before = this.status === 'ready' ? { choice: this.choice, localSae: this.localSae } : null;
    this.status = 'loading';
    this.error = null;
    this.choice = c;
    try {
      const src = this.sources(c);
      const onProgress = (p: LoadProgress) => (this.progress = p);
      // feature data first, and the SAE with the model: nothing changes until all of it is in hand
      const features = src.features ? await FeatureCatalog.fetchIndex(src.features) : null;
      const maxActivations = features ? Float32Array.from(features.summaries, (f) => f.maxAct) : undefined;
      const info = await this.engine.load({ ...src.model, weights: this.weights }, onProgress, src.sae ? { ...src.sae, maxActivations } : null);
      this.info = info;
      this.sae = info.sae ?? null;
      this.localSae = false;
      this.repoSae = c.kind !== 'local' ? (c.repoSae ?? null) : null;
      this.catalog.reset();
      if (features) this.catalog.apply(features);
      const cached = this.labelKey ? await loadLabels(this.labelKey).catch(() => null) : null;
      if (cached) this.catalog.addLabels(cached);
      this.memory = await this.engine.memory();
      this.status = 'ready';
      return true;
    } catch (e) {
      this.fail(e);
      // a failed load changes nothing in the worker: the previous model and SAE stay in service, and
      // the banner says what failed (unless the device was lost, or the model was unloaded for room)
      const held = await this.engine.info().catch(() => null);
      if (!before || !held || (e as Error)?.name === 'GpuDeviceLost') {
        this.status = 'error';
        return false;
      }
      this.choice = before.choice;
      this.localSae = before.localSae;
      this.memory = await this.engine.memory();
      this.status = 'ready';
      return false;
    }
  }

  /** An SAE from a Hub repo folder (owner/name/folder[@revision]) onto the current model, like a local one. */
  async loadRepoSae(ref: RepoRef, onProgress?: (p: LoadProgress) => void): Promise<void> {
    const hub = hubEndpoint();
    this.sae = await this.engine.loadSae(repoSaeSource(ref), onProgress);
    this.localSae = true;
    this.repoSae = ref;
    this.catalog.reset();
    await this.refreshMemory();
  }

  cancel(): void {
    void this.engine.cancel();
  }

  async refreshMemory(): Promise<void> {
    this.memory = await this.engine.memory();
  }

  /** Called once a lost device was recovered (the app reruns the analysis). */
  onRecovered: (() => void) | null = null;
  private recovering = false;

  /** Recovers as soon as the browser reports the device lost, not only at the next call. */
  watchDeviceLoss(): void {
    void this.engine.watchDeviceLoss((message) => this.fail(Object.assign(new Error(message), { name: 'GpuDeviceLost' })));
  }

  /** Shows the error; an exhausted device takes the model out of service, a lost one is recovered. */
  fail(e: unknown): void {
    const err = e as Error;
    this.error = { name: err?.name ?? 'Error', message: err?.message ?? String(e) };
    if (this.error.name === 'GpuOutOfMemory') this.status = 'error';
    if (this.error.name === 'GpuDeviceLost') void this.recover(this.error.message);
  }

  /** A new device, and the model and SAE reloaded from the cache; the prompt, steering and settings are untouched. */
  private async recover(why: string): Promise<void> {
    if (this.recovering) return;
    this.recovering = true;
    this.status = 'loading';
    try {
      this.info = await this.engine.recover((p) => (this.progress = p));
      this.memory = await this.engine.memory();
      this.status = 'ready';
      this.error = { name: 'GpuDeviceLost', message: `${why} Glassbox took a new device and reloaded the model${this.sae ? ' and SAE' : ''}; your prompt, steering and settings are kept.` };
      this.onRecovered?.();
    } catch (e) {
      this.error = { name: (e as Error)?.name ?? 'Error', message: `${why} Reloading on a new device failed too: ${(e as Error)?.message ?? e}` };
      this.status = 'error';
    } finally {
      this.recovering = false;
    }
  }

}

/** The choice a URL's model/sae parameters name. */
export function choiceFromIds(model: string, sae: string): ModelChoice {
  // an SAE named by repo id (owner/name/folder[@revision]), not a catalog SAE id or a hook name
  const repoSae = !SAES.some((s) => s.id === sae) && sae.includes('/') ? (parseRepoId(sae) ?? undefined) : undefined;
  const ref = model.includes('/') ? parseRepoId(model) : null;
  if (ref) return { kind: 'repo', ref, repoSae };
  if (MODELS.some((m) => m.id === model)) {
    const fallback = SAES.find((s) => s.modelId === model)!.id;
    return { kind: 'hub', modelId: model, saeId: SAES.some((s) => s.id === sae && s.modelId === model) ? sae : fallback, repoSae };
  }
  return { kind: 'bundled', id: model, hook: repoSae ? DEFAULTS.sae : sae, repoSae };
}

/** An SAE repo folder on the configured Hub endpoint, cached, with the token saved for it. */
function repoSaeSource(ref: RepoRef): SaeSource {
  const hub = hubEndpoint();
  return { kind: 'url', baseUrl: hubFolderUrl(hub, ref.repo, ref.folder, ref.revision), cache: true, auth: hubAuth(hub) };
}
