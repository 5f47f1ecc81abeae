// Named error classes. Comlink carries only `name`, `message` and `stack` across the worker
// boundary, so every class sets `this.name` and the UI branches on it. Messages say what to do.

export class GlassboxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** navigator.gpu is missing, or requestAdapter() returned null. */
export class WebGPUUnavailable extends GlassboxError {}

/** The GPU device was lost (driver reset, tab backgrounded too long, out of memory). */
export class GpuDeviceLost extends GlassboxError {}

/** An allocation failed: the model does not fit this adapter. */
export class GpuOutOfMemory extends GlassboxError {}

/** A WebGPU validation error: a bug in Glassbox, reported with the op that caused it. */
export class GpuValidationError extends GlassboxError {}

/** A malformed or inconsistent model file. Names the file and, when known, the tensor. */
export class ModelFileError extends GlassboxError {
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly tensor?: string,
  ) {
    super(`${file}${tensor ? ` (tensor "${tensor}")` : ''}: ${detail}`);
  }
}

/** A config.json that is not JSON, or lacks/contradicts a field. */
export class ModelConfigError extends GlassboxError {
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly field?: string,
  ) {
    super(`${file}${field ? ` (field "${field}")` : ''}: ${detail}`);
  }
}

/** The engine was asked to do something before a model was loaded, or with bad arguments. */
export class EngineStateError extends GlassboxError {}

/** A generation was cancelled by the user. Not shown as a failure. */
export class GenerationCancelled extends GlassboxError {}
