// Builds the console's web app to static files (node scripts/build.mjs console runs it).
import react from '@vitejs/plugin-react';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..', '..');

export default defineConfig({
  root: HERE,
  plugins: [react()],
  build: {
    outDir: process.env.CONSOLE_WEB_OUT_DIR ?? join(ROOT, 'dist', 'console', 'web'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  server: {
    // `npx vite services/console/web` during development: the gateway and /config.json from a
    // running console server (`npm start`).
    proxy: { '/graphql': 'http://127.0.0.1:4300', '/config.json': 'http://127.0.0.1:4300' },
  },
});
