// e2e global setup: build the app (as `npm start` serves it) and serve dist/ with vite preview.
import { build, preview, type PreviewServer } from 'vite';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

let server: PreviewServer | undefined;

export default async function setup(project: TestProject) {
  // Vitest sets NODE_ENV=test, which would build a dev-flavoured app (no service worker).
  const env = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  await build({ logLevel: 'warn', configFile: 'vite.config.ts', mode: 'production' });
  process.env.NODE_ENV = env;
  server = await preview({ preview: { host: '127.0.0.1', port: 0 }, logLevel: 'warn', configFile: 'vite.config.ts' });
  project.provide('baseUrl', server.resolvedUrls!.local[0]);
  return async () => {
    await new Promise<void>((r) => server!.httpServer.close(() => r()));
  };
}
