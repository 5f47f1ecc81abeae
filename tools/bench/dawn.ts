// Dawn for Node, loaded by path and installed as WebGPU's globals (GPUBufferUsage, GPUMapMode, ...)
// on import: node.ts imports this first, because the engine's modules read those globals as they
// load. dawn.node is found at $DAWN_NODE, beside the bundle (the GPU-machine pack), or in
// node_modules/webgpu; it is never bundled.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function loadDawn(): { create: (flags: string[]) => GPU; globals: object; path: string } {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    process.env.DAWN_NODE,
    join(here, 'dawn.node'),
    join(process.cwd(), 'node_modules/webgpu/dist', `${process.platform}-${process.arch}`, 'dawn.node'),
  ].filter((p): p is string => Boolean(p));
  const path = candidates.find((p) => existsSync(p));
  if (!path) throw new Error(`dawn.node not found (tried ${candidates.join(', ')}); set DAWN_NODE`);
  return { ...createRequire(import.meta.url)(path), path };
}

export const dawn = loadDawn();
Object.assign(globalThis, dawn.globals);
