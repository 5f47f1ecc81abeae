// sae_norm against its CPU twin for every normalize_activations mode, with and without the
// TransformerLens centring; and the centred residual has zero mean per token.
import { describe, expect, it } from 'vitest';
import { saeNorm, type NormalizeActivations } from '../../src/kernels/sae_norm';
import { saeNormRef } from '../../src/reference/sae_norm';
import { Rng } from '../../src/model/rng';
import { expectClose } from '../util';
import { empty, getGpu, read, upload } from './gpu';

const modes: NormalizeActivations[] = ['none', 'constant_norm_rescale', 'layer_norm', 'expected_average_only_in'];

describe.each([false, true])('sae_norm, subgroups %s', (subgroups) => {
  for (const norm of modes) {
    for (const center of [false, true]) {
      it(`${norm}${center ? ', centred' : ''} (T=5, C=768)`, async () => {
        const g = await getGpu(undefined, subgroups);
        const [T, C] = [5, 768];
        const rng = new Rng(norm.length + (center ? 100 : 0));
        const x = rng.array(T * C, 2).map((v, i) => v + (i % C === 0 ? 30 : 0) + 0.7 * Math.floor(i / C)); // offset means, a big outlier dim
        const bDec = rng.array(C, 0.3);
        const o = { center, norm, applyBDec: norm !== 'none', scale: 0.25 };
        const xSae = empty(g, T * C);
        const xIn = empty(g, T * C);
        const stats = empty(g, 2 * T);
        g.run([saeNorm(g, { x: upload(g, x), bDec: upload(g, bDec), xSae, xIn, stats, T, C, ...o })]);
        const ref = saeNormRef(x, bDec, T, C, o);
        const gotSae = await read(g, xSae, T * C);
        expectClose('x_sae', gotSae, ref.xSae);
        expectClose('x_in', await read(g, xIn, T * C), ref.xIn, 1e-5, 1e-4);
        expectClose('stats', await read(g, stats, 2 * T), ref.stats, 1e-5, 1e-4);
        if (center) {
          for (let t = 0; t < T; t++) {
            const mean = gotSae.subarray(t * C, (t + 1) * C).reduce((a, b) => a + b, 0) / C;
            expect(Math.abs(mean), `token ${t} mean after centring`).toBeLessThan(1e-5);
          }
        }
      });
    }
  }
});
