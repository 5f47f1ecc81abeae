// tokenizer.json (+ tokenizer_config.json) through @huggingface/tokenizers.
import { Tokenizer } from '@huggingface/tokenizers';
import { ModelFileError } from '../errors';
import { chatTemplateOf, endOfTurnToken, noChatTemplate, renderChat, type ChatMessage } from './chat';

/** A special token in tokenizer_config.json: a string, or an AddedToken object ({content, ...}). */
const tokenText = (v: unknown): string | null =>
  typeof v === 'string' ? v : typeof v === 'object' && v !== null && typeof (v as { content?: unknown }).content === 'string' ? (v as { content: string }).content : null;

const PROBE = 'Hello world, the ship 42 été 🌊\n';

const isId = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;

/** The ids the library hands out unchecked: every vocabulary and added token's must be a token id. */
function checkIds(json: { model?: unknown; added_tokens?: unknown }): void {
  const fail = (what: string): never => {
    throw new ModelFileError('tokenizer.json', `${what}; re-download the model`);
  };
  const vocab = (json.model as { vocab?: unknown }).vocab;
  if (Array.isArray(vocab)) {
    // Unigram: [piece, log probability] pairs
    if (!vocab.every((e) => Array.isArray(e) && typeof e[0] === 'string' && Number.isFinite(e[1]))) fail('has a Unigram vocab entry that is not a [piece, score] pair');
  } else if (typeof vocab === 'object' && vocab !== null) {
    if (!Object.values(vocab).every(isId)) fail('has a vocab entry whose id is not a token id');
  }
  const added = json.added_tokens ?? [];
  if (!Array.isArray(added) || !added.every((t) => typeof t?.content === 'string' && isId(t?.id))) fail('has an added token without a string content and a token id');
}

export class TextTokenizer {
  /** tokenizer_config.json's bos_token / eos_token, as text. */
  readonly bosToken: string | null;
  readonly eosToken: string | null;
  /** chat_template.jinja, else tokenizer_config.json's chat_template (the "default" one of a list), or null. */
  readonly chatTemplate: string | null;
  /** add_bos_token / add_eos_token when tokenizer_config.json sets them: they override tokenizer.json's post-processor. */
  private readonly addBos: boolean | undefined;
  private readonly addEos: boolean | undefined;

  private constructor(
    private readonly tok: Tokenizer,
    config: Record<string, unknown>,
    templateFile: string | null,
  ) {
    this.bosToken = tokenText(config.bos_token);
    this.eosToken = tokenText(config.eos_token);
    this.chatTemplate = templateFile ?? chatTemplateOf(config);
    this.addBos = typeof config.add_bos_token === 'boolean' ? config.add_bos_token : undefined;
    this.addEos = typeof config.add_eos_token === 'boolean' ? config.add_eos_token : undefined;
  }

  /** templateFile: chat_template.jinja, where newer Hub repos keep the chat template instead of tokenizer_config.json. */
  static fromJson(tokenizerJson: string, configJson: string | null, templateFile: string | null = null): TextTokenizer {
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
    checkIds(json);
    const config = (configJson ? parse(configJson, 'tokenizer_config.json') : {}) as Record<string, unknown>;
    try {
      const tok = new TextTokenizer(new Tokenizer(json, config), config, templateFile);
      // The library builds from malformed sections without complaint and fails on first use (a
      // post-processor's template a number, say): try it once here, so the error names the file.
      const ids = tok.encode(PROBE);
      if (!ids.every(isId)) throw new Error(`it gives no token id for part of ${JSON.stringify(PROBE)} (a vocabulary without an unk_token or byte fallback?)`);
      tok.decode(ids);
      return tok;
    } catch (e) {
      throw new ModelFileError('tokenizer.json', `could not be loaded: ${(e as Error)?.message ?? String(e)}`);
    }
  }

  /**
   * Token ids of `text`, as transformers' tokenizer(text) gives them: with the special tokens of
   * tokenizer.json's post-processor (Gemma's and Llama 3's <bos>), which tokenizer_config.json's
   * add_bos_token / add_eos_token switch on or off. `addSpecialTokens: false` for text that already
   * holds them (a rendered chat template).
   */
  encode(text: string, { addSpecialTokens = true }: { addSpecialTokens?: boolean } = {}): number[] {
    const plain = this.tok.encode(text, { add_special_tokens: false }).ids;
    if (!addSpecialTokens) return plain;
    const full = this.tok.encode(text, { add_special_tokens: true }).ids;
    // the post-processor wraps the text's tokens: find them in its output
    let at = 0;
    while (at + plain.length <= full.length && plain.some((id, i) => full[at + i] !== id)) at++;
    const found = plain.length > 0 && at + plain.length <= full.length;
    let prefix = plain.length === 0 ? full : found ? full.slice(0, at) : [];
    let suffix = found ? full.slice(at + plain.length) : [];
    const bos = this.bosToken === null ? undefined : this.idOf(this.bosToken);
    const eos = this.eosToken === null ? undefined : this.idOf(this.eosToken);
    if (bos !== undefined && this.addBos === true && !prefix.includes(bos)) prefix = [bos, ...prefix];
    if (bos !== undefined && this.addBos === false) prefix = prefix.filter((id) => id !== bos);
    if (eos !== undefined && this.addEos === true && !suffix.includes(eos)) suffix = [...suffix, eos];
    if (eos !== undefined && this.addEos === false) suffix = suffix.filter((id) => id !== eos);
    return [...prefix, ...plain, ...suffix];
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

  /** The conversation as the model's chat template renders it, ready for the model's reply. */
  renderChat(messages: ChatMessage[]): string {
    if (this.chatTemplate === null) throw noChatTemplate();
    return renderChat(this.chatTemplate, messages, { bosToken: this.bosToken, eosToken: this.eosToken, addGenerationPrompt: true });
  }

  /** The conversation's token ids: the rendered template, which holds its own <bos>. */
  encodeChat(messages: ChatMessage[]): number[] {
    return this.encode(this.renderChat(messages), { addSpecialTokens: false });
  }

  /**
   * Where a chat reply ends: the given EOS ids, tokenizer_config.json's eos_token, and the token
   * the chat template closes an assistant turn with (<end_of_turn>, <|eot_id|>, <|im_end|>).
   */
  chatStopIds(eosIds: readonly number[]): number[] {
    const stop = new Set(eosIds);
    const add = (t: string | null) => {
      const id = t === null ? undefined : this.idOf(t);
      if (id !== undefined) stop.add(id);
    };
    add(this.eosToken);
    if (this.chatTemplate !== null) {
      const specials = [...this.tok.get_added_tokens_decoder().values()].map((t) => t.content);
      add(endOfTurnToken(this.chatTemplate, specials, { bosToken: this.bosToken, eosToken: this.eosToken }));
    }
    return [...stop];
  }
}
