// Glassbox service worker: precaches the app shell and the bundled model listed in
// precache.json (written at build time by vite.config.ts), then serves them offline.
// Hashed assets and model files are cache-first; the page itself is network-first so a new
// build is picked up when online. Matching ignores Vary: the page's crossorigin requests carry an
// Origin header that the precache requests did not.
const CACHE = 'glassbox-v1';

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      const res = await fetch('precache.json', { cache: 'no-cache' });
      const { files } = await res.json();
      // one at a time: the model is tens of MB and a failure should name the file
      for (const f of ['./', ...files]) {
        if (!(await cache.match(f))) await cache.add(new Request(f, { cache: 'no-cache' }));
      }
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      // older app caches only: glassbox-labels-* holds the user's imported labels
      for (const k of await caches.keys()) if (/^glassbox-v\d+$/.test(k) && k !== CACHE) await caches.delete(k);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== location.origin) return;
  if (req.mode === 'navigate') {
    event.respondWith(fetch(req).catch(async () => (await caches.match(req, { ignoreSearch: true, ignoreVary: true })) ?? caches.match('./')));
    return;
  }
  event.respondWith(
    (async () => {
      const hit = await caches.match(req, { ignoreSearch: true, ignoreVary: true });
      if (hit) return hit;
      const res = await fetch(req);
      if (res.ok && res.status === 200) (await caches.open(CACHE)).put(req, res.clone());
      return res;
    })(),
  );
});
