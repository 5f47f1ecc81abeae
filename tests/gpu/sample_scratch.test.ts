import { it } from 'vitest';
import { sample as sampleOp, sampleWords, parseSample } from '../../src/kernels/sample';
import { sample } from '../../src/model/sampling';
import { Rng } from '../../src/model/rng';
import { createBuffer, readBuffer } from '../../src/gpu/buffers';
import { getGpu, upload } from './gpu';

it('scratch', async () => {
  const g = await getGpu();
  for (const V of [8, 16, 17, 40, 100, 257, 300]) {
    for (const scale of [0.001, 3]) {
    const logits = new Rng(V).array(V, scale);
    const rng = upload(g, Uint32Array.of(1));
    const got = [], want = [];
    const cpu = new Rng(1);
    for (let j = 0; j < 20; j++) {
      const out = createBuffer(g.device, 'out', sampleWords(0) * 4);
      g.run([sampleOp(g, { logits: upload(g, logits), rng, out, V, sampling: { temperature: 1, topK: 0, topP: 1 } })]);
      got.push(parseSample(await readBuffer(g.device, out), 0).id);
      want.push(sample(logits, { temperature: 1, topK: 0, topP: 1 }, cpu));
    }
    console.log(V, scale, got.join(',') === want.join(',') ? 'OK' : `BAD\n${got}\n${want}`);
    }
  }
});
