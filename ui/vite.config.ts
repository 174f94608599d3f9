// Builds Warren's web UI into dist/ui, which the management listener serves at `/`.
// `vite` (dev) and `vite preview` proxy /api to a management API: WARREN_UI_API, by default the reference
// RabbitMQ at http://127.0.0.1:15673, whose API Warren's mirrors.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const uiRoot = fileURLToPath(new URL('.', import.meta.url));
const apiTarget = process.env.WARREN_UI_API || 'http://127.0.0.1:15673';
const proxy = { '/api': { target: apiTarget, changeOrigin: true } };

export default defineConfig({
  root: uiRoot,
  // Relative asset URLs, so the UI also works behind a reverse proxy that mounts it under a path.
  base: './',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 400,
  },
  server: { port: 5180, strictPort: false, proxy },
  preview: { port: 15680, strictPort: false, proxy },
});
