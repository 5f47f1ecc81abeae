// Steering requests as the user gives them (a feature, a mode, a strength in absolute units or in
// multiples of the feature's max activation) and where they apply (every position, the prompt
// only or generated tokens only, optionally not the BOS token) turned into kernel entries.
import { EngineStateError } from '../errors';
import { MAX_STEERING, NO_END, type SteeringEntry, type SteeringMode } from '../kernels/steer';

export type { SteeringMode };

export interface SteeringSpec {
  feature: number;
  /**
   * clamp: Anthropic's (set f_i to value, keep the SAE's error term). Neuronpedia's three, with
   * v = W_dec[i]: add x + value v; orthogonal (I - P) x + value P x; cap <x, v/|v|> <= value.
   */
  mode: SteeringMode;
  value: number;
  /**
   * 'max_act': value is a multiple of the feature's max activation (10 was Golden Gate Claude):
   * clamp sets f_i to value x max; add adds value x max x v; cap caps the projection at
   * value x max x |v| (what the feature writes at value x its max). orthogonal's value is a
   * factor on P x whatever the unit.
   */
  unit: 'absolute' | 'max_act';
  /** The max activation 'max_act' multiplies (the page's, from feature data or this session); default: the SAE source's. */
  maxAct?: number;
}

/** Where steering applies: every position, the prompt's, or the generated tokens' (after the prompt). */
export type SteerPositions = 'all' | 'prompt' | 'generated';

export interface SteeringScope {
  positions: SteerPositions;
  /** Leave position 0 alone when it is the BOS token. */
  skipBos: boolean;
  promptLength: number;
  startsWithBos: boolean;
}

export function steeringEntries(
  specs: SteeringSpec[],
  sae: { dSae: number; decoderNorms: Float32Array },
  maxActs: Float32Array | null,
  scope: SteeringScope = { positions: 'all', skipBos: false, promptLength: 0, startsWithBos: false },
): SteeringEntry[] {
  const { dSae } = sae;
  if (specs.length > MAX_STEERING) throw new EngineStateError(`At most ${MAX_STEERING} features can be steered at once.`);
  const first = scope.skipBos && scope.startsWithBos ? 1 : 0;
  const [from, to] =
    scope.positions === 'prompt' ? [first, scope.promptLength] : scope.positions === 'generated' ? [Math.max(first, scope.promptLength), NO_END] : [first, NO_END];
  return specs.map((s) => {
    if (!(Number.isInteger(s.feature) && s.feature >= 0 && s.feature < dSae)) {
      throw new EngineStateError(`Feature ${s.feature} does not exist: the SAE has features 0..${dSae - 1}.`);
    }
    if (!Number.isFinite(s.value)) throw new EngineStateError(`Steering value for feature ${s.feature} must be a finite number.`);
    const norm = sae.decoderNorms[s.feature];
    if ((s.mode === 'orthogonal' || s.mode === 'cap') && !(norm > 0)) {
      throw new EngineStateError(`Feature ${s.feature}'s decoder row is zero: ${s.mode} steering needs a direction. Use another feature.`);
    }
    let value = s.value;
    if (s.unit === 'max_act' && s.mode !== 'orthogonal') {
      const m = s.maxAct ?? maxActs?.[s.feature];
      if (m === undefined || !(m > 0)) {
        throw new EngineStateError(`The max activation of feature ${s.feature} is unknown: give the value in absolute units, or load the SAE's feature data.`);
      }
      value *= s.mode === 'cap' ? m * norm : m;
    }
    return { feature: s.feature, mode: s.mode, value, from, to };
  });
}
