// Named error classes. Comlink carries only `name`, `message` and `stack` across the worker
// boundary, so every class sets `name` (as a literal: minifiers rename classes) and the UI
// branches on it. Messages say what to do.

export class GlassboxError extends Error {
  override name = 'GlassboxError';
}

/** navigator.gpu is missing, or requestAdapter() returned null. */
export class WebGPUUnavailable extends GlassboxError {
  override name = 'WebGPUUnavailable';
}

/** The GPU device was lost (driver reset, tab backgrounded too long, out of memory). */
export class GpuDeviceLost extends GlassboxError {
  override name = 'GpuDeviceLost';
}

/** An allocation failed: the model does not fit this adapter. */
export class GpuOutOfMemory extends GlassboxError {
  override name = 'GpuOutOfMemory';
}

/** A WebGPU validation error: a bug in Glassbox, reported with the op that caused it. */
export class GpuValidationError extends GlassboxError {
  override name = 'GpuValidationError';
}

/** A malformed or inconsistent model file. Names the file and, when known, the tensor. */
export class ModelFileError extends GlassboxError {
  override name = 'ModelFileError';
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly tensor?: string,
  ) {
    super(`${file}${tensor ? ` (tensor "${tensor}")` : ''}: ${detail}`);
  }
}

/** A file the server says does not exist (HTTP 404): an optional one is then known to be absent. */
export class MissingFileError extends ModelFileError {}

/** A config.json that is not JSON, or lacks/contradicts a field. */
export class ModelConfigError extends GlassboxError {
  override name = 'ModelConfigError';
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly field?: string,
  ) {
    super(`${file}${field ? ` (field "${field}")` : ''}: ${detail}`);
  }
}

/** The engine was asked to do something before a model was loaded, or with bad arguments. */
export class EngineStateError extends GlassboxError {
  override name = 'EngineStateError';
}

/** An SAE that does not fit the loaded model (d_in, hook layer) or uses an unsupported option. */
export class SaeCompatibilityError extends GlassboxError {
  override name = 'SaeCompatibilityError';
}

/** Not enough browser storage for a download: says how much is needed and how much is free. */
export class StorageQuotaError extends GlassboxError {
  override name = 'StorageQuotaError';
}

/** A download the user cancelled. Its bytes are kept: the next attempt resumes. */
export class DownloadCancelled extends GlassboxError {
  override name = 'DownloadCancelled';
}

/** The logits hold a NaN, or their max is infinite: no token can be sampled (a model or steering blow-up). */
export class NonFiniteError extends GlassboxError {
  override name = 'NonFiniteError';
}

/** Chat on a model without a chat template, or a conversation its template refuses. */
export class ChatTemplateError extends GlassboxError {
  override name = 'ChatTemplateError';
}

/** The Hub refused a file (HTTP 401/403): the repo is gated or private and needs a token. */
export class HubAuthError extends GlassboxError {
  override name = 'HubAuthError';
}

/** The memory estimate says the adapter cannot hold this model: refused before downloading it. */
export class ModelTooLargeError extends GlassboxError {
  override name = 'ModelTooLargeError';
}
