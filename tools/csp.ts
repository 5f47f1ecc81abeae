// The built app's Content-Security-Policy (`npm run build`, `npm start`; dev mode has none, as Vite's
// HMR needs inline scripts and eval-free-ness is checked on the build). Three layers:
//
//  1. A <meta> in dist/index.html: the policy itself, so it holds on any static host. No eval (no
//     'unsafe-eval', no 'wasm-unsafe-eval': nothing in the bundle compiles code at run time;
//     @huggingface/jinja interprets templates, @huggingface/tokenizers is plain JS), scripts and
//     workers from the app's origin only, plus the inline scripts of index.html by their sha256.
//     Its connect-src is the ceiling: any http(s) host, since the Hub endpoint is a setting.
//  2. An inline script right after it adds a second <meta>, written at load time from the endpoint
//     this visit uses (?hub=, else the saved setting, else huggingface.co, as hubEndpoint() in
//     src/store/hub.ts reads it): connect-src 'self', that endpoint's origin, the Hub's file hosts
//     and Neuronpedia's label exports. A page obeys every policy it has, so this narrows (1). A
//     change of endpoint in the picker applies from the next load.
//  3. `vite preview` (npm start, the e2e tests) also sends (1) as a header, with frame-ancestors
//     'none' (a header-only directive). A dedicated worker created from a same-origin URL takes its
//     policy from its own response headers, not from the page's <meta>, so this header is what
//     forbids eval in such a worker. A header cannot know the visit's endpoint, so the engine's
//     worker starts from a blob: URL (src/worker/client.ts, 'blob:' in worker-src, absolute URLs
//     in the sources it is sent) and inherits the page's policies, (2) included, on any host.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plugin } from 'vite';

/**
 * Where the Hub's files are. huggingface.co/{repo}/resolve/... answers LFS and Xet files with a
 * redirect to a CDN, and a CSP checks each redirect's target too: cdn-lfs{,-us-1,-eu-1}.hf.co and
 * .huggingface.co, cas-bridge.xethub{,-eu}.hf.co, {us}.{aws,gcp}.cdn.hf.co (listed in the Hub's
 * "downloading behind a proxy or firewall" docs). `*.` matches subdomains at any depth.
 */
export const HUB_HOSTS = ['https://huggingface.co', 'https://*.huggingface.co', 'https://*.hf.co'];
/** Neuronpedia's explanation exports (the picker's "labels URL"): its API and its S3 dataset bucket. */
export const LABEL_HOSTS = ['https://www.neuronpedia.org', 'https://neuronpedia-datasets.s3.amazonaws.com', 'https://neuronpedia-datasets.s3.us-east-1.amazonaws.com'];

/** The static policy, given the sha256 sources of the page's inline scripts. */
export function staticPolicy(scriptHashes: string[]): string {
  return [
    "default-src 'self'",
    `script-src 'self' ${scriptHashes.join(' ')}`.trim(),
    "worker-src 'self' blob:",
    // the built CSS file only: Svelte sets style: directives through the CSSOM (el.style), which a
    // CSP does not govern, but a literal style="..." in a component's markup would be refused
    "style-src 'self'",
    "connect-src 'self' https: http:", // the ceiling; narrowed per visit by VISIT_POLICY_SCRIPT
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/**
 * Runs first in <head>: the per-visit connect-src. The endpoint's origin comes from URL parsing
 * (scheme://host:port, no spaces or semicolons), so it cannot add directives; anything but http(s)
 * is dropped. Storage may throw (blocked cookies): then only the default Hub is allowed.
 */
export const VISIT_POLICY_SCRIPT = `(() => {
  // the endpoint's origin as src/store/hub.ts hubEndpoint() picks it; see tools/csp.ts
  let hub = '';
  try {
    const u = new URL(new URLSearchParams(location.search).get('hub') || localStorage.getItem('glassbox-hub-endpoint') || 'https://huggingface.co');
    if (u.protocol === 'https:' || u.protocol === 'http:') hub = u.origin;
  } catch {}
  const m = document.createElement('meta');
  m.httpEquiv = 'Content-Security-Policy';
  m.content = ${JSON.stringify(`connect-src 'self' ${[...HUB_HOSTS, ...LABEL_HOSTS].join(' ')}`)} + (hub ? ' ' + hub : '');
  document.head.append(m);
})();`;

const sha256 = (s: string) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;
const META = /<meta http-equiv="Content-Security-Policy" content="([^"]*)"/;

/** Build: the <meta> policy and the per-visit script into index.html. Preview: the policy as a header. */
export function contentSecurityPolicy(): Plugin[] {
  return [
    {
      name: 'glassbox-csp',
      apply: 'build',
      transformIndexHtml: {
        order: 'post',
        handler(html) {
          // first in <head> after the charset (which must stay in the first 1024 bytes): before any script or link
          const at = /<meta charset="[^"]*"\s*\/?>/i.test(html) ? /<meta charset="[^"]*"\s*\/?>/i : /<head>/;
          const page = html.replace(at, (m) => `${m}\n    <script>${VISIT_POLICY_SCRIPT}</script>`);
          const inline = [...page.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => sha256(m[1]));
          return page.replace(at, (m) => `${m}\n    <meta http-equiv="Content-Security-Policy" content="${staticPolicy(inline)}" />`);
        },
      },
    },
    {
      name: 'glassbox-csp-preview',
      configurePreviewServer(server) {
        const built = readFileSync(join(server.config.root, server.config.build.outDir, 'index.html'), 'utf8');
        const policy = META.exec(built)?.[1];
        if (!policy) throw new Error('dist/index.html has no Content-Security-Policy <meta>: run `vite build` first');
        server.middlewares.use((_req, res, next) => {
          res.setHeader('Content-Security-Policy', `${policy}; frame-ancestors 'none'`);
          res.setHeader('X-Content-Type-Options', 'nosniff');
          next();
        });
      },
    },
  ];
}
