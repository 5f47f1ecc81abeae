// Headless Debian chromium with real WebGPU on SwiftShader (see WEBGPU-TESTING.md). Shared by the
// Vitest browser project, the benchmark and the e2e/screenshot scripts.
// --enable-unsafe-webgpu is the flag that matters: without it CPU adapters are blocklisted.
export const chromiumArgs = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const chromiumPath = process.env.CHROME_PATH ?? '/usr/bin/chromium';
