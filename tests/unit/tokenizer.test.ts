import { describe, expect, it } from 'vitest';
import { TextTokenizer } from '../../src/model/tokenizer';
import { ModelFileError } from '../../src/errors';
import { BYTE_TOKENIZER_CONFIG, byteTokenizerJson } from '../helpers/byte_tokenizer';

describe('tokenizer (@huggingface/tokenizers, byte-level BPE)', () => {
  const tok = TextTokenizer.fromJson(byteTokenizerJson(), BYTE_TOKENIZER_CONFIG);

  it('applies merges', () => {
    expect(tok.encode('the the')).toEqual([116, 257, 258]); // "t" "he" "Ġthe"
  });

  it('round-trips any text, including unicode and newlines', () => {
    for (const text of ['café 🌊\n\tend', 'Ünïcödé — “quotes”', '  two  spaces ', '']) {
      expect(tok.decode(tok.encode(text))).toBe(text);
    }
  });

  it('refuses a tokenizer.json that is not JSON, naming the file', () => {
    expect(() => TextTokenizer.fromJson('{"model": ', null)).toThrow(ModelFileError);
    expect(() => TextTokenizer.fromJson('{"model": ', null)).toThrow(/tokenizer\.json/);
    expect(() => TextTokenizer.fromJson('{}', null)).toThrow(/no "model" section/);
    expect(() => TextTokenizer.fromJson(byteTokenizerJson(), '{oops')).toThrow(/tokenizer_config\.json/);
  });
});
