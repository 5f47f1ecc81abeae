// Bundles the Node benchmark (tools/bench/node.ts) into one ES module, bench/node/glassbox-bench.mjs,
// that runs with plain `node` and needs nothing from node_modules at run time but Dawn's
// dawn.node (loaded by path, never bundled; see node.ts). The shaders reach the engine through
// Vite's `import.meta.glob(..., { query: '?raw', eager: true })` (src/gpu/pipelines.ts), which
// esbuild does not understand: the plugin below replaces each such call with an object literal
// of the matched files' text, keyed as Vite keys them (the pattern's relative paths).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const outfile = process.argv[2] ?? join(root, 'bench/node/glassbox-bench.mjs');

/** Files matching a relative glob whose only wildcard is `*` in the last segment (shaders/*.wgsl). */
function expand(fromDir, pattern) {
  const dir = dirname(pattern);
  const re = new RegExp(`^${pattern.slice(dir.length + 1).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
  return readdirSync(resolve(fromDir, dir)).filter((f) => re.test(f)).sort().map((f) => `${dir}/${f}`);
}

const inlineGlobRaw = {
  name: 'inline-import-meta-glob-raw',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta.glob(')) return undefined;
      const contents = text.replace(/import\.meta\.glob\(\s*(\[[^\]]*\]|'[^']*')\s*,\s*(\{[^}]*\})\s*\)/g, (call, pats, opts) => {
        if (!/query:\s*'\?raw'/.test(opts) || !/eager:\s*true/.test(opts)) throw new Error(`${args.path}: only eager ?raw globs are inlined: ${call}`);
        const patterns = [...pats.matchAll(/'([^']+)'/g)].map((m) => m[1]);
        const files = patterns.flatMap((p) => expand(dirname(args.path), p));
        const entries = files.map((f) => `${JSON.stringify(f)}: ${JSON.stringify(readFileSync(resolve(dirname(args.path), f), 'utf8'))}`);
        return `({${entries.join(',\n')}})`;
      });
      if (contents.includes('import.meta.glob(')) throw new Error(`${args.path}: an import.meta.glob call was not inlined`);
      return { contents, loader: 'ts' };
    });
  },
};

const webgpuPkg = join(root, 'node_modules/webgpu/package.json');
const webgpuVersion = existsSync(webgpuPkg) ? JSON.parse(readFileSync(webgpuPkg, 'utf8')).version : 'unknown';
await build({
  entryPoints: [join(root, 'tools/bench/node.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // webgpu is never bundled: node.ts loads dawn.node itself, by path, at run time
  external: ['webgpu'],
  define: { __WEBGPU_PACKAGE_VERSION__: JSON.stringify(webgpuVersion) },
  plugins: [inlineGlobRaw],
  logLevel: 'warning',
  legalComments: 'none',
});
console.log(`[glassbox] bundled ${relative(process.cwd(), outfile)}`);
