/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { playwright } from '@vitest/browser-playwright';

import { chromiumArgs, chromiumPath } from './tools/chromium.mjs';
import { contentSecurityPolicy } from './tools/csp.ts';
import { precacheManifest } from './tools/precache.ts';

export default defineConfig({
  // contentSecurityPolicy: the built app's CSP (a <meta>, and a header from `vite preview`); see tools/csp.ts
  plugins: [svelte(), precacheManifest(), contentSecurityPolicy()],
  worker: { format: 'es' },
  server: { fs: { allow: ['.'] } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['tests/e2e/setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'gpu',
          include: ['tests/gpu/**/*.test.ts'],
          globalSetup: ['tests/helpers/hub_setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          // One browser page; SwiftShader already uses both cores.
          fileParallelism: false,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            instances: [{ browser: 'chromium' }],
            provider: playwright({
              launchOptions: { executablePath: chromiumPath, args: chromiumArgs },
            }),
          },
        },
      },
    ],
  },
});
