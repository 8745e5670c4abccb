import { join } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import { loadSpam } from '../src/corpus';
import { firstWords } from '../src/spam-task';

/** Words kept of each message in the page's copy of the corpus (the classifier reads at most this many). */
export const SPAM_WORDS = 128;

/**
 * spam.json: the SpamAssassin bodies (each message's first SPAM_WORDS words) and their labels, for
 * the Train page's classifier, made from the @stdlib package at build time (about 4 MB; fetched
 * only when the classifier is chosen) and served by the dev server.
 */
function spamCorpus(): Plugin {
  let json: string | undefined;
  const source = () =>
    (json ??= JSON.stringify(loadSpam().map((m) => ({ text: firstWords(m.text, SPAM_WORDS), label: m.label }))));
  return {
    name: 'recur-spam-corpus',
    configureServer(server) {
      server.middlewares.use('/spam.json', (_req, res) => {
        res.setHeader('Content-Type', 'application/json');
        res.end(source());
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'spam.json', source: source() });
    },
  };
}

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
  plugins: [spamCorpus()],
  worker: { format: 'es' },
  server: { headers: isolation },
  preview: { headers: isolation },
});
