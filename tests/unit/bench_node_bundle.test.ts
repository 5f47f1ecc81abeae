// The Node benchmark's bundle (tools/bench/build-node.mjs) must run with plain `node` on a GPU
// machine that has no node_modules: every shader inlined, and no import but Node's built-ins
// (dawn.node is loaded by path at run time, never imported by name).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'glassbox-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the Node benchmark bundle', () => {
  it('inlines every shader and imports only node: built-ins', () => {
    const out = join(dir, 'bench.mjs');
    execFileSync(process.execPath, ['tools/bench/build-node.mjs', out], { stdio: 'pipe' });
    const code = readFileSync(out, 'utf8');
    expect(code).not.toContain('import.meta.glob');
    for (const sub of ['shaders', 'shaders/common']) {
      for (const f of readdirSync(sub).filter((n) => n.endsWith('.wgsl'))) {
        expect(code, `${sub}/${f} inlined`).toContain(JSON.stringify(`../../${sub}/${f}`));
      }
    }
    const specifiers = [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["']([^"']+)["']/g)].map((m) => m[1]);
    expect(specifiers.length).toBeGreaterThan(0);
    expect(specifiers.filter((s) => !s.startsWith('node:'))).toEqual([]);
  }, 60_000);
});
