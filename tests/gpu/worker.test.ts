// The same engine through the real Web Worker and comlink: streaming callbacks, cancel, and
// typed errors crossing the boundary without killing the worker.
import { describe, expect, it } from 'vitest';
import { createEngineClient } from '../../src/worker/client';
import { randomModelSource } from '../helpers/files_source';

describe('engine in a Web Worker', () => {
  it('loads, streams tokens, cancels, and reports typed errors', async () => {
    const client = createEngineClient();
    try {
      const source = randomModelSource(2);
      const stages: string[] = [];
      const info = await client.load(source, (p) => stages.push(p.stage));
      expect(info.adapter.vendor).toBeTruthy();
      expect(stages).toContain('ready');

      const fwd = await client.forward({ text: 'the cat', hooks: ['blocks.0.hook_resid_post'] });
      expect(fwd.logits).toBeInstanceOf(Float32Array);
      expect(fwd.hooks['blocks.0.hook_resid_post'].length).toBe(fwd.ids.length * 96);

      const tokens: number[] = [];
      const res = await client.generate(
        { prompt: 'the', maxNewTokens: 30, sampling: { temperature: 1, topK: 0, topP: 1 }, seed: 5, stopAtEos: false },
        (e) => {
          if (e.type === 'token') {
            tokens.push(e.id);
            if (tokens.length === 4) void client.cancel();
          }
        },
      );
      expect(res.baseline!.reason).toBe('cancelled');
      expect(tokens.length).toBeGreaterThanOrEqual(4);
      expect(tokens.length).toBeLessThan(30);

      const broken = { ...source.files, 'model.safetensors': new Uint8Array(12).buffer };
      await expect(client.load({ kind: 'files', files: broken })).rejects.toMatchObject({
        name: 'ModelFileError',
        message: expect.stringMatching(/model\.safetensors/),
      });
      // the worker survived and still serves the loaded model
      expect((await client.tokenize('ok')).ids.length).toBe(2);
      expect((await client.forward({ text: 'ok' })).logits.length).toBe(info.config.vocabSize);
    } finally {
      client.terminate();
    }
  });
});
