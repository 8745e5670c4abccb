import type { Callback, FitParams, Logs } from '@recur/train';

const fmt = (logs: Logs) =>
  Object.entries(logs)
    .map(([k, v]) => `${k}: ${Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(3)}`)
    .join(' - ');

function isNodeTTY(): boolean {
  const p = (globalThis as { process?: { stdout?: { isTTY?: boolean }; versions?: { node?: string } } }).process;
  return Boolean(p?.versions?.node && p.stdout?.isTTY);
}

interface Bar {
  start(total: number, value: number, payload: object): void;
  update(value: number, payload: object): void;
  stop(): void;
}

/**
 * fit's `verbose` output: 1 draws a progress bar per epoch in a Node terminal (loss and metrics,
 * samples per second, ETA) and logs one line per epoch elsewhere; 2 logs one line per epoch.
 */
export class ProgressLogger implements Callback {
  private params: FitParams | null = null;
  private epochStart = 0;
  private bar: Bar | null = null;
  private seen = 0;

  constructor(
    private readonly verbose: number,
    private readonly print: (line: string) => void = (l) => console.log(l),
  ) {}

  /** Learns the epochs and steps to draw. */
  setParams(params: FitParams): void {
    this.params = params;
  }

  /** Opens the progress output. */
  async onTrainBegin(): Promise<void> {
    if (this.verbose === 1 && isNodeTTY()) {
      try {
        const mod = (await import('cli-progress')) as unknown as {
          default?: { SingleBar: new (o: object) => Bar };
          SingleBar?: new (o: object) => Bar;
        };
        const SingleBar = mod.SingleBar ?? mod.default?.SingleBar;
        if (SingleBar) {
          this.bar = new SingleBar({
            format: 'Epoch {epoch} [{bar}] {value}/{total} - {rate}/s - ETA {eta_formatted} - {metrics}',
            hideCursor: true,
            clearOnComplete: false,
            noTTYOutput: false,
          });
        }
      } catch {
        this.bar = null;
      }
    }
  }

  /** Starts an epoch's line. */
  onEpochBegin(epoch: number): void {
    this.epochStart = Date.now();
    this.seen = 0;
    const total = this.params?.steps ?? 0;
    this.bar?.start(total, 0, { epoch: `${epoch + 1}/${this.params?.epochs ?? '?'}`, metrics: '', rate: '0' });
  }

  /** Redraws the bar (verbose 1). */
  onBatchEnd(batch: number, logs: Logs = {}): void {
    const { size, batch: _b, ...values } = logs;
    this.seen += size ?? 0;
    const secs = Math.max(1e-3, (Date.now() - this.epochStart) / 1000);
    this.bar?.update(batch + 1, { metrics: fmt(values), rate: (this.seen / secs).toFixed(0) });
  }

  /** Ends the epoch's line with its logs. */
  onEpochEnd(epoch: number, logs: Logs = {}): void {
    const secs = (Date.now() - this.epochStart) / 1000;
    if (this.bar) {
      this.bar.update(this.params?.steps ?? 0, { metrics: fmt(logs) });
      this.bar.stop();
      return;
    }
    if (this.verbose >= 1) {
      this.print(
        `Epoch ${epoch + 1}/${this.params?.epochs ?? '?'} - ${secs.toFixed(1)}s - ${(this.seen / Math.max(secs, 1e-3)).toFixed(0)} samples/s - ${fmt(logs)}`,
      );
    }
  }

  /** Closes the progress output. */
  onTrainEnd(): void {
    this.bar?.stop();
  }
}
