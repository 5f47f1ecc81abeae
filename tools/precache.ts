// A Vite plugin that writes dist/precache.json: every file the built app and the bundled model
// need, for the service worker (public/sw.js) to cache on install, so the page works offline.
// A model's training-data index (tda/, 27 MB for the bundled model) is left out: it downloads the
// first time the Training data card runs, and the service worker caches it then.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Plugin } from 'vite';

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

export function precacheManifest(publicDir = 'public'): Plugin {
  return {
    name: 'glassbox-precache',
    apply: 'build',
    generateBundle(_, bundle) {
      const built = Object.keys(bundle);
      const pub = walk(publicDir)
        .map((p) => relative(publicDir, p).split('\\').join('/'))
        .filter((p) => p !== 'sw.js' && !p.endsWith('.md') && !p.includes('/tda/'));
      const files = [...built, ...pub].filter((f) => !f.endsWith('.map')).sort();
      this.emitFile({ type: 'asset', fileName: 'precache.json', source: JSON.stringify({ files }) });
    },
  };
}
