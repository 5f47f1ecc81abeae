// One case per bug the fuzzer (tests/unit/fuzz.test.ts) found in the parsers, written out by hand
// so that it stays whatever the mutators do.
import { allocProbe } from '../helpers/fuzz_alloc'; // first: it wraps the constructors fflate captures at load
import { readFileSync } from 'node:fs';
import { gzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ModelConfigError, ModelFileError, SaeCompatibilityError } from '../../src/errors';
import { parseGpt2Config } from '../../src/model/config';
import { parseDecoderConfig } from '../../src/model/decoder_config';
import { GEMMA2_2B } from '../../src/model/hub_configs';
import { TextTokenizer } from '../../src/model/tokenizer';
import { parseSaeLensConfig } from '../../src/sae/formats';
import { parseGemmaScope2 } from '../../src/sae/gemma_scope2';
import { parseGemmaScopeNpz } from '../../src/sae/npz';
import { parseLabelExport } from '../../src/store/labels';
import { readUrl, writeUrl } from '../../src/ui/state/url';
import { BYTE_TOKENIZER_CONFIG, byteTokenizerJson } from '../helpers/byte_tokenizer';
import { npzSeeds } from '../helpers/fuzz_seeds';
import { npy, randomGemmaScope2Files, randomSaeLensFiles } from '../helpers/random_sae';

const text = (s: string) => new TextEncoder().encode(s);
const dec = (b: ArrayBuffer | Uint8Array) => new TextDecoder().decode(b);
const deep = '['.repeat(100_000) + ']'.repeat(100_000);
const GPT2 = dec(readFileSync(new URL('../../public/models/glassbox-mini/config.json', import.meta.url)));
const gpt2With = (patch: string) => GPT2.replace(/\}\s*$/, `, ${patch}}`); // a later duplicate key wins
const sae = randomSaeLensFiles({ dIn: 4, dSae: 8, seed: 1, hookName: 'blocks.0.hook_resid_pre', arch: 'standard' });
const saeCfg = (patch: string) => dec(sae['cfg.json']).replace(/\}\s*$/, `, ${patch}}`);
const gs2 = (config: Record<string, unknown>) => randomGemmaScope2Files({ dIn: 4, dSae: 8, seed: 1, hookName: 'blocks.3.hook_resid_post', config });

describe('fuzz regressions: config.json', () => {
  it('refuses a layer count the loaders would loop over for minutes (was a hang / accepted)', () => {
    const t0 = performance.now();
    expect(() => parseDecoderConfig(JSON.stringify({ ...GEMMA2_2B, num_hidden_layers: 4294967295 }))).toThrow(/num_hidden_layers.*more than Glassbox loads/);
    expect(performance.now() - t0).toBeLessThan(100);
    expect(() => parseGpt2Config(gpt2With('"n_layer": 4294967295'))).toThrow(expect.objectContaining({ name: 'ModelConfigError', field: 'n_layer' }));
  });

  it('refuses integers past 2^53 and infinite floats (were accepted)', () => {
    expect(() => parseGpt2Config(gpt2With('"vocab_size": 1e21'))).toThrow(/vocab_size.*positive integer/);
    expect(() => parseDecoderConfig(JSON.stringify({ ...GEMMA2_2B, hidden_size: 2 ** 60 }))).toThrow(/hidden_size/);
    expect(() => parseGpt2Config(gpt2With('"layer_norm_epsilon": 1e999'))).toThrow(/layer_norm_epsilon/);
    expect(parseGpt2Config(gpt2With('"bos_token_id": -1')).bosTokenId).toBeNull();
  });

  it('reports a deeply nested value as a ModelConfigError, not a RangeError from JSON.stringify', () => {
    expect(() => parseGpt2Config(gpt2With(`"n_embd": ${deep}`))).toThrow(ModelConfigError);
    expect(() => parseDecoderConfig(JSON.stringify({ ...GEMMA2_2B, hidden_activation: 0 }).replace('"hidden_activation":0', `"hidden_activation":${deep}`))).toThrow(ModelConfigError);
  });
});

describe('fuzz regressions: SAE configs', () => {
  it('SAELens cfg.json: nested, non-object and non-finite fields are ModelConfigErrors', () => {
    expect(() => parseSaeLensConfig(saeCfg(`"architecture": ${deep}`))).toThrow(ModelConfigError);
    expect(() => parseSaeLensConfig(saeCfg(`"d_in": ${deep}`))).toThrow(ModelConfigError);
    expect(() => parseSaeLensConfig(saeCfg('"metadata": "x".repeat'))).toThrow(ModelConfigError); // not JSON
    expect(() => parseSaeLensConfig(saeCfg(`"metadata": "${'x'.repeat(100_000)}"`))).toThrow(/metadata.*must be an object/);
    expect(() => parseSaeLensConfig(saeCfg('"norm_scaling_factor": 1e999'))).toThrow(/norm_scaling_factor/);
    expect(() => parseSaeLensConfig(saeCfg('"d_sae": 1e21'))).toThrow(/d_sae/);
  });

  it('Gemma Scope 2: a layer past 2^53, an inherited type name, a zero width', () => {
    const f = gs2({ hf_hook_point_in: 'model.layers.99999999999999999999999.output', hf_hook_point_out: undefined });
    expect(() => parseGemmaScope2(dec(f['config.json']), f['params.safetensors'])).toThrow(SaeCompatibilityError); // was "blocks.1e+23.hook_resid_post"
    const g = gs2({ type: 'constructor' });
    expect(() => parseGemmaScope2(dec(g['config.json']), g['params.safetensors'])).toThrow(/of type "constructor"/);
    const h = gs2({ architecture: 'NESTED' });
    expect(() => parseGemmaScope2(dec(h['config.json']).replace('"NESTED"', deep), h['params.safetensors'])).toThrow(ModelConfigError);
  });
});

/** A stored zip64 npz whose first directory entry's extra field has another tag than zip64's (1). */
function zip64WithoutSizes(): Uint8Array {
  const z = npzSeeds()[2]['params.npz'].slice();
  const dv = new DataView(z.buffer);
  let p = 0;
  while (dv.getUint32(p, true) !== 0x02014b50) p++;
  dv.setUint16(p + 46 + dv.getUint16(p + 28, true), 7, true);
  return z;
}

describe('fuzz regressions: Gemma Scope npz', () => {
  it('refuses a zip64 entry without sizes (fflate looped forever)', () => {
    const t0 = performance.now();
    expect(() => parseGemmaScopeNpz(zip64WithoutSizes().buffer as ArrayBuffer, 'blocks.3.hook_resid_post')).toThrow(/has no zip64 sizes/);
    expect(performance.now() - t0).toBeLessThan(100);
    expect(parseGemmaScopeNpz(npzSeeds()[2]['params.npz'].slice().buffer as ArrayBuffer, 'blocks.3.hook_resid_post').cfg.dIn).toBe(4); // zip64 still reads
  });

  it('refuses an entry that claims 4 GiB before allocating it (fflate allocated it)', () => {
    const z = zipSync({ 'W_enc.npy': npy(new Float32Array(32), [4, 8]) }, { level: 6 });
    const dv = new DataView(z.buffer);
    let p = 0;
    while (dv.getUint32(p, true) !== 0x02014b50) p++;
    dv.setUint32(p + 24, 0xfffffff0, true); // uncompressed size in the directory
    allocProbe.arm(Infinity);
    expect(() => parseGemmaScopeNpz(z.buffer as ArrayBuffer, 'blocks.3.hook_resid_post')).toThrow(/more than deflate can give/);
    expect(allocProbe.disarm()).toBeLessThan(1 << 20);
  });

  it('refuses negative, fractional and inherited-name .npy headers (a -1 dimension made a valid SAE)', () => {
    const withNpy = (patch: (h: string) => string) => {
      const a = npy(new Float32Array(32), [4, 8]);
      const h = patch(dec(a.subarray(10, 10 + (a[8] | (a[9] << 8)))));
      const out = new Uint8Array(10 + h.length + 128);
      out.set(a.subarray(0, 10));
      out[8] = h.length & 0xff;
      out[9] = h.length >> 8;
      out.set(text(h), 10);
      return zipSync({ 'W_enc.npy': out }).buffer as ArrayBuffer;
    };
    expect(() => parseGemmaScopeNpz(withNpy((h) => h.replace('(4, 8)', '(-1, -1)')), 'x')).toThrow(/each dimension must be a whole number/);
    expect(() => parseGemmaScopeNpz(withNpy((h) => h.replace('(4, 8)', '(4.5, 8)')), 'x')).toThrow(ModelFileError);
    expect(() => parseGemmaScopeNpz(withNpy((h) => h.replace('(4, 8)', '(0, 8)')), 'x')).toThrow(/must be positive/);
    expect(() => parseGemmaScopeNpz(withNpy((h) => h.replace('<f4', 'constructor')), 'x')).toThrow(/has dtype "constructor"/);
  });
});

describe('fuzz regressions: label exports', () => {
  it('refuses a gzip trailer that claims 4 GiB, without allocating it', () => {
    const gz = gzipSync(text('[{"index": 1, "description": "x"}]'));
    new DataView(gz.buffer).setUint32(gz.length - 4, 0xffffffff, true);
    allocProbe.arm(Infinity);
    expect(() => parseLabelExport(gz, 'l.json.gz')).toThrow(/trailer claims 4294967295 bytes/);
    expect(allocProbe.disarm()).toBeLessThan(1 << 20);
  });

  it('refuses a gzip whose content is longer than its trailer says (was silently cut)', () => {
    const gz = gzipSync(text('{"index": 1, "description": "one"}\n{"index": 2, "description": "two"}\n'));
    new DataView(gz.buffer).setUint32(gz.length - 4, 36, true); // the first line only
    expect(() => parseLabelExport(gz, 'l.jsonl.gz')).toThrow(/inflates to more than 36 bytes/);
  });

  it('ignores an index that is not a number or a string of digits (a nested array overflowed the stack; "" was 0)', () => {
    const rows = `[{"index": ${deep}, "description": "x"}, {"index": "", "description": "y"}, {"index": "0x10", "description": "z"}, {"index": " 4 ", "description": "w"}]`;
    expect(parseLabelExport(text(rows), 'l.json')).toEqual(new Map([[4, 'w']]));
  });

  it('ignores an index past 2^53 (it named another feature)', () => {
    expect([...parseLabelExport(text('[{"index": "9007199254740993", "description": "x"}, {"index": 3, "description": "y"}]'), 'l.json').keys()]).toEqual([3]);
  });
});

describe('fuzz regressions: URL state', () => {
  it('drops steering it could not write back (a multiple of 1e23 became "1e+23")', () => {
    const s = readUrl('?steer=1c99999999999999999999999,2a1,99999999999999999999c1,3c-2.5');
    expect(s.steering.map((i) => i.feature)).toEqual([2, 3]);
    expect(readUrl(writeUrl(s)).steering).toEqual(s.steering);
  });
});

describe('fuzz regressions: tokenizer.json', () => {
  const tok = JSON.parse(byteTokenizerJson());
  it('refuses ids that are not token ids, and sections that fail on first use (were accepted)', () => {
    const badId = { ...tok, added_tokens: [{ ...tok.added_tokens[0], id: 'Sequence' }] };
    expect(() => TextTokenizer.fromJson(JSON.stringify(badId), BYTE_TOKENIZER_CONFIG)).toThrow(/added token/);
    const badVocab = { ...tok, model: { ...tok.model, vocab: { ...tok.model.vocab, a: -1 } } };
    expect(() => TextTokenizer.fromJson(JSON.stringify(badVocab), BYTE_TOKENIZER_CONFIG)).toThrow(/vocab entry/);
    const badPost = { ...tok, post_processor: { type: 'TemplateProcessing', single: 2, pair: [], special_tokens: {} } };
    expect(() => TextTokenizer.fromJson(JSON.stringify(badPost), BYTE_TOKENIZER_CONFIG)).toThrow(ModelFileError);
    const noUnk = { model: { type: 'WordLevel', vocab: { hello: 0 } }, normalizer: null, pre_tokenizer: { type: 'Whitespace' }, post_processor: null, decoder: null, added_tokens: [] }; // unknown words encoded to undefined
    expect(() => TextTokenizer.fromJson(JSON.stringify(noUnk), null)).toThrow(/gives no token id/);
  });

  it('still loads the bundled tokenizer quickly', () => {
    const dir = new URL('../../public/models/glassbox-mini/', import.meta.url);
    const t0 = performance.now();
    const t = TextTokenizer.fromJson(dec(readFileSync(new URL('tokenizer.json', dir))), dec(readFileSync(new URL('tokenizer_config.json', dir))));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(t.encode('The ship sailed across the ocean')).toEqual([267, 1063, 1487, 820, 258, 2673]);
  });
});
