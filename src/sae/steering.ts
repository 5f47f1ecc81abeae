// Steering requests as the user gives them (a feature, clamp or add, a value in absolute units or
// in multiples of the feature's max activation, from a position on) turned into kernel entries.
import { EngineStateError } from '../errors';
import { MAX_STEERING, type SteeringEntry } from '../kernels/steer';

export interface SteeringSpec {
  feature: number;
  /** clamp: Anthropic's (set f_i to value, keep the error term); add: Neuronpedia's (x + value W_dec[i]). */
  mode: 'clamp' | 'add';
  value: number;
  /** 'max_act': value is a multiple of the feature's max activation (10 was Golden Gate Claude). */
  unit: 'absolute' | 'max_act';
  /** First absolute token position to edit; 0 or absent = every position. */
  from?: number;
}

export function steeringEntries(specs: SteeringSpec[], dSae: number, maxActs: Float32Array | null): SteeringEntry[] {
  if (specs.length > MAX_STEERING) throw new EngineStateError(`At most ${MAX_STEERING} features can be steered at once.`);
  return specs.map((s) => {
    if (!(Number.isInteger(s.feature) && s.feature >= 0 && s.feature < dSae)) {
      throw new EngineStateError(`Feature ${s.feature} does not exist: the SAE has features 0..${dSae - 1}.`);
    }
    if (!Number.isFinite(s.value)) throw new EngineStateError(`Steering value for feature ${s.feature} must be a finite number.`);
    let value = s.value;
    if (s.unit === 'max_act') {
      const m = maxActs?.[s.feature];
      if (m === undefined || !(m > 0)) {
        throw new EngineStateError(`The max activation of feature ${s.feature} is unknown: give the value in absolute units, or load the SAE's feature data.`);
      }
      value *= m;
    }
    const from = s.from ?? 0;
    if (!(Number.isInteger(from) && from >= 0)) throw new EngineStateError(`Steering "from" must be a token position >= 0, got ${s.from}.`);
    return { feature: s.feature, mode: s.mode, value, from };
  });
}
