import { ModelConfigError } from '../errors';

/**
 * A config file's JSON object (config.json, cfg.json), or a ModelConfigError naming the file;
 * `redo` says what to do about a broken one ("Re-download the SAE.").
 */
export function parseConfigObject(text: string, file: string, redo = 'Check that the file downloaded completely.'): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ModelConfigError(file, `is not valid JSON (${(e as Error).message}). ${redo}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ModelConfigError(file, 'is not a JSON object');
  return raw as Record<string, unknown>;
}
