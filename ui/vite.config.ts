import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

/** Where `npm run dev:ui` sends API calls: a hookflow server (`npm start`). */
const api = process.env.HOOKFLOW_URL ?? 'http://127.0.0.1:8001';

/** The API's path prefixes: everything else is the UI, served by Vite in development. */
const API_PREFIXES = ['/auth', '/events', '/hooks', '/secrets', '/state', '/users', '/tokens', '/health', '/metrics', '/stream', '/schedules', '/webhooks', '/webhook-endpoints', '/watchers', '/actions', '/workflows', '/programs', '/execute', '/executions', '/containers', '/images', '/openapi.json', '/docs'];

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [preact()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // The server answers /assets/* from here; one JS and one CSS file keep the page at two requests.
    chunkSizeWarningLimit: 200,
    reportCompressedSize: true,
  },
  server: {
    port: 5173,
    proxy: Object.fromEntries(API_PREFIXES.map((prefix) => [prefix, { target: api, changeOrigin: true }])),
  },
});
