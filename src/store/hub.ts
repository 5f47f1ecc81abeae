// The Hugging Face Hub's file layout, with a configurable endpoint (like HF_ENDPOINT): a
// `?hub=` URL parameter, then a saved setting, then huggingface.co. Mirrors and tests use it.
// Gated repos (Gemma) need an access token: kept in this origin's localStorage only, sent as
// `Authorization: Bearer` only to the origin it was saved for, never in a URL, a link or a message.
import { HubAuthError } from '../errors';

export const DEFAULT_HUB = 'https://huggingface.co';
const SETTING = 'glassbox-hub-endpoint';
const TOKEN_SETTING = 'glassbox-hub-token';

export function hubEndpoint(search = globalThis.location?.search ?? ''): string {
  const fromUrl = new URLSearchParams(search).get('hub');
  const saved = globalThis.localStorage?.getItem(SETTING);
  return (fromUrl || saved || DEFAULT_HUB).replace(/\/+$/, '');
}

export function saveHubEndpoint(endpoint: string | null): void {
  if (endpoint) localStorage.setItem(SETTING, endpoint.replace(/\/+$/, ''));
  else localStorage.removeItem(SETTING);
}

/**
 * The saved access token, when it was saved for `endpoint`'s origin; else null. A token is bound
 * to the endpoint it was typed for, so a link with another ?hub= never receives it.
 */
export function hubToken(endpoint = hubEndpoint()): string | null {
  const raw = globalThis.localStorage?.getItem(TOKEN_SETTING);
  if (!raw) return null;
  let saved: { token?: unknown; origin?: unknown };
  try {
    saved = JSON.parse(raw);
  } catch {
    saved = { token: raw, origin: DEFAULT_HUB }; // saved before tokens were bound to an origin
  }
  return typeof saved.token === 'string' && saved.origin === originOf(endpoint) ? saved.token : null;
}

/** Saves the token for `endpoint`'s origin only (the endpoint in use when it is typed). */
export function saveHubToken(token: string | null, endpoint = hubEndpoint()): void {
  const t = token?.trim();
  if (t) localStorage.setItem(TOKEN_SETTING, JSON.stringify({ token: t, origin: originOf(endpoint) }));
  else localStorage.removeItem(TOKEN_SETTING);
}

function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/** A token and the one origin it may be sent to (the Hub endpoint's). Travels to the worker in a source. */
export interface HubAuth {
  token: string;
  origin: string;
}

/** The auth for downloads from `endpoint`, when a token is saved for it. */
export function hubAuth(endpoint: string, token = hubToken(endpoint)): HubAuth | undefined {
  return token ? { token, origin: new URL(endpoint).origin } : undefined;
}

/** Request headers for `url`: the bearer token only when the URL is on the token's origin. */
export function authHeaders(url: string, auth: HubAuth | undefined): Record<string, string> {
  if (!auth) return {};
  let origin: string;
  try {
    origin = new URL(url, globalThis.location?.href).origin;
  } catch {
    return {};
  }
  return origin === auth.origin ? { Authorization: `Bearer ${auth.token}` } : {};
}

/** A 401/403 as the typed error that says what to do (the URL holds no token: it is never put there). */
export function hubAuthError(status: number, file: string, url: string, auth: HubAuth | undefined): HubAuthError {
  const page = url.includes('/resolve/') ? url.slice(0, url.indexOf('/resolve/')) : url;
  const why = auth ? 'the access token was refused: it may be mistyped, expired, or lack read access, or the licence is not accepted yet' : 'this repo is gated or private and no access token is set';
  return new HubAuthError(
    `HTTP ${status} for ${file}: ${why}. Accept the licence on the model page (${page}) while signed in, ` +
      'then paste a Hugging Face access token (Settings → Access Tokens, "read") into Models… → Access token, and load again.',
  );
}

/** https://huggingface.co/{repo}/resolve/{revision}/{path}/ as a folder URL (trailing slash). */
export function hubFolderUrl(endpoint: string, repo: string, folder = '', revision = 'main'): string {
  const path = folder ? `${folder.split('/').map(encodeURIComponent).join('/')}/` : '';
  return `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${path}`;
}

export interface RepoRef {
  repo: string;
  /** A folder inside the repo (from_pretrained's subfolder), '' for the root. */
  folder: string;
  revision: string;
}

/**
 * A repo id as typed: `owner/name`, optionally a folder inside it and a revision, as
 * `owner/name[/sub/folder][@revision]` (e.g. google/gemma-scope-2-270m-pt/resid_post/layer_9_width_16k_l0_medium).
 * Null when it is not one.
 */
export function parseRepoId(text: string): RepoRef | null {
  const m = /^([\w.-]+\/[\w.-]+)((?:\/[\w.-]+)*)\/?(?:@([\w./-]+))?$/.exec(text.trim());
  if (!m || m[1].includes('..') || m[2].split('/').some((p) => p === '..' || p === '.')) return null;
  return { repo: m[1], folder: m[2].replace(/^\//, ''), revision: m[3] || 'main' };
}

export const formatRepoRef = (r: RepoRef) => `${r.repo}${r.folder ? `/${r.folder}` : ''}${r.revision === 'main' ? '' : `@${r.revision}`}`;
