import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const webDir = fileURLToPath(new URL('.', import.meta.url));

/**
 * The server serves only /assets/* (from dist/web/assets) and index.html for every other page,
 * so everything the app needs must end up under assets/ or inline in index.html.
 */
export default defineConfig({
  root: webDir,
  base: '/',
  plugins: [react()],
  // No public/ folder: files copied to the root of dist/web would never be served.
  publicDir: false,
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    assetsDir: 'assets',
    // Every asset is a file under assets/, served with the app's own origin (CSP: 'self').
    assetsInlineLimit: 0,
    target: 'es2022',
  },
  server: {
    port: 5173,
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/docs': 'http://127.0.0.1:8080',
    },
  },
});
