import type { BenchRequest, BenchResult } from './bench-worker';

const params = new URLSearchParams(location.search);
const size = (key: keyof BenchRequest, fallback: number) => Number(params.get(key) ?? fallback);
const request: BenchRequest = {
  vocab: size('vocab', 65),
  embedding: size('embedding', 64),
  hidden: size('hidden', 256),
  seqLen: size('seqLen', 64),
  batch: size('batch', 32),
  steps: size('steps', 5),
  backend: params.get('backend') === 'cpu' ? 'cpu' : 'webgl',
};
const result = document.getElementById('result') as HTMLElement;

document.getElementById('run')?.addEventListener('click', () => {
  result.textContent = 'training on tfjs-layers…';
  document.body.dataset.state = 'running';
  const worker = new Worker(new URL('./bench-worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (e: MessageEvent<{ ok: true; result: BenchResult } | { ok: false; message: string }>) => {
    const m = e.data;
    if (m.ok) {
      const r = m.result;
      result.textContent = `${r.library} on TensorFlow.js ${r.backend}: ${Math.round(r.tokensPerSecond).toLocaleString('en-US')} tokens/s`;
      Object.assign(document.body.dataset, {
        state: 'done',
        backend: r.backend,
        tokensPerSecond: String(r.tokensPerSecond),
      });
    } else {
      result.textContent = `error: ${m.message}`;
      document.body.dataset.state = 'error';
    }
    worker.terminate();
  };
  worker.onerror = (e) => {
    result.textContent = `error: ${e.message || 'the Worker failed to start'}`;
    document.body.dataset.state = 'error';
  };
  worker.postMessage(request);
});
document.body.dataset.state = 'idle';
