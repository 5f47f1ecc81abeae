// tokenizer.json (+ tokenizer_config.json) through @huggingface/tokenizers.
import { Tokenizer } from '@huggingface/tokenizers';
import { ModelFileError } from '../errors';

export class TextTokenizer {
  private constructor(private readonly tok: Tokenizer) {}

  static fromJson(tokenizerJson: string, configJson: string | null): TextTokenizer {
    const parse = (text: string, file: string): object => {
      try {
        const v = JSON.parse(text);
        if (typeof v !== 'object' || v === null) throw new Error('not an object');
        return v;
      } catch (e) {
        throw new ModelFileError(file, `is not valid JSON (${(e as Error).message}). Re-download the model.`);
      }
    };
    const json = parse(tokenizerJson, 'tokenizer.json') as { model?: unknown };
    if (!json.model) throw new ModelFileError('tokenizer.json', 'has no "model" section; this is not a Hugging Face tokenizer.json');
    const config = configJson ? parse(configJson, 'tokenizer_config.json') : {};
    try {
      return new TextTokenizer(new Tokenizer(json, config));
    } catch (e) {
      throw new ModelFileError('tokenizer.json', `could not be loaded: ${(e as Error).message}`);
    }
  }

  encode(text: string): number[] {
    return this.tok.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: number[]): string {
    if (ids.length === 0) return ''; // the library refuses an empty list
    return this.tok.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  /** Each token's own text, for display (a byte-level token may be part of a character). */
  pieces(ids: number[]): string[] {
    return ids.map((id) => this.decode([id]));
  }

  idOf(token: string): number | undefined {
    return this.tok.token_to_id(token);
  }
}
