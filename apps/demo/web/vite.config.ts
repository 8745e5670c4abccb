import { join } from 'node:path';
import { defineConfig } from 'vite';

// Cross-origin isolation (COOP + COEP) gives the page SharedArrayBuffer, so backend-js can use
// worker threads; without it, it runs on one thread.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
    // Three pages: generate from a saved model (index), train one live in a Worker (train), and the
    // Train page's model on tfjs-layers for comparison (bench).
    rollupOptions: {
      input: {
        index: join(import.meta.dirname, 'index.html'),
        train: join(import.meta.dirname, 'train.html'),
        bench: join(import.meta.dirname, 'bench.html'),
      },
    },
  },
  worker: { format: 'es' },
  server: { headers: isolation },
  preview: { headers: isolation },
});
