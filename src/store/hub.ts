// The Hugging Face Hub's file layout, with a configurable endpoint (like HF_ENDPOINT): a
// `?hub=` URL parameter, then a saved setting, then huggingface.co. Mirrors and tests use it.

export const DEFAULT_HUB = 'https://huggingface.co';
const SETTING = 'glassbox-hub-endpoint';

export function hubEndpoint(search = globalThis.location?.search ?? ''): string {
  const fromUrl = new URLSearchParams(search).get('hub');
  const saved = globalThis.localStorage?.getItem(SETTING);
  return (fromUrl || saved || DEFAULT_HUB).replace(/\/+$/, '');
}

export function saveHubEndpoint(endpoint: string | null): void {
  if (endpoint) localStorage.setItem(SETTING, endpoint.replace(/\/+$/, ''));
  else localStorage.removeItem(SETTING);
}

/** https://huggingface.co/{repo}/resolve/{revision}/{path}/ as a folder URL (trailing slash). */
export function hubFolderUrl(endpoint: string, repo: string, folder = '', revision = 'main'): string {
  const path = folder ? `${folder.split('/').map(encodeURIComponent).join('/')}/` : '';
  return `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${path}`;
}
