// Chat templates: tokenizer_config.json's chat_template rendered with @huggingface/jinja (the
// Jinja implementation transformers.js uses), as transformers' apply_chat_template renders it.
import { Template } from '@huggingface/jinja';
import { ChatTemplateError } from '../errors';

export type ChatRole = 'user' | 'assistant' | 'system';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface ChatRenderOptions {
  bosToken: string | null;
  eosToken: string | null;
  addGenerationPrompt: boolean;
}

/** The chat template in a parsed tokenizer_config.json: a string, or a list of {name, template} ("default" wins). */
export function chatTemplateOf(config: Record<string, unknown>): string | null {
  const t = config.chat_template;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const named = t.filter((e): e is { name: string; template: string } => typeof e?.name === 'string' && typeof e?.template === 'string');
    return (named.find((e) => e.name === 'default') ?? named[0])?.template ?? null;
  }
  return null;
}

/** Thrown by chat on a model whose tokenizer_config.json has no chat_template. */
export function noChatTemplate(): ChatTemplateError {
  return new ChatTemplateError(
    'This model has no chat template (tokenizer_config.json has no "chat_template"): chat needs an instruct model, ' +
      'such as google/gemma-3-1b-it. Use the plain prompt with this model.',
  );
}

const compiled = new Map<string, Template>();

export function renderChat(templateSource: string, messages: ChatMessage[], opts: ChatRenderOptions): string {
  if (messages.length === 0) throw new ChatTemplateError('The conversation is empty: type a message first.');
  let template = compiled.get(templateSource);
  if (!template) {
    try {
      template = new Template(templateSource);
    } catch (e) {
      throw new ChatTemplateError(`The model's chat template could not be parsed (${(e as Error).message}); chat with it is not possible here. Use the plain prompt.`);
    }
    compiled.set(templateSource, template);
  }
  try {
    return template.render({
      messages: messages.map((m) => ({ role: m.role, content: m.content })),
      bos_token: opts.bosToken ?? '',
      eos_token: opts.eosToken ?? '',
      add_generation_prompt: opts.addGenerationPrompt,
    });
  } catch (e) {
    // raise_exception() in a template (e.g. "Conversation roles must alternate") lands here
    throw new ChatTemplateError(`The model's chat template refused the conversation: ${(e as Error).message}`);
  }
}

/**
 * The special token the template closes an assistant turn with (<end_of_turn>, <|eot_id|>,
 * <|im_end|>, ...): renders a short exchange and reads the added token right after the reply.
 */
export function endOfTurnToken(templateSource: string, specialTokens: string[], opts: Omit<ChatRenderOptions, 'addGenerationPrompt'>): string | null {
  const mark = 'GLASSBOX_REPLY_END';
  let text: string;
  try {
    text = renderChat(templateSource, [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: mark }], { ...opts, addGenerationPrompt: false });
  } catch {
    return null;
  }
  const at = text.lastIndexOf(mark);
  if (at < 0) return null;
  const after = text.slice(at + mark.length).trimStart();
  const hits = specialTokens.filter((t) => t.length > 0 && after.startsWith(t));
  return hits.sort((a, b) => b.length - a.length)[0] ?? null;
}
