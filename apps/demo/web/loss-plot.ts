/**
 * A small canvas line plot of the training loss and a validation figure (the log of perplexity for
 * a language model, in the loss's units; accuracy for a classifier). Redrawn at most once per
 * animation frame, whatever the message rate.
 */
export class LossPlot {
  private readonly loss: [number, number][] = [];
  private readonly val: [number, number][] = [];
  private scheduled = false;
  private valLabel = 'validation log-perplexity';

  constructor(private readonly canvas: HTMLCanvasElement) {}

  /** What the second line is. */
  label(text: string): void {
    this.valLabel = text;
  }

  add(step: number, loss: number, validation: { label: string; value: number } | null): void {
    if (Number.isFinite(loss)) this.loss.push([step, loss]);
    const last = this.val.at(-1);
    if (validation && Number.isFinite(validation.value) && (!last || last[0] !== step))
      this.val.push([step, validation.value]);
    if (!this.scheduled) {
      this.scheduled = true;
      requestAnimationFrame(() => {
        this.scheduled = false;
        this.draw();
      });
    }
  }

  clear(): void {
    this.loss.length = 0;
    this.val.length = 0;
    this.draw();
  }

  get points(): number {
    return this.loss.length;
  }

  private draw(): void {
    const c = this.canvas;
    const g = c.getContext('2d');
    if (!g) return;
    const { width: W, height: H } = c;
    const pad = 36;
    g.clearRect(0, 0, W, H);
    g.strokeStyle = '#bbb';
    g.strokeRect(pad, 8, W - pad - 8, H - pad - 8);
    const all = [...this.loss, ...this.val];
    if (all.length < 2) return;
    const x0 = Math.min(...all.map((p) => p[0]));
    const x1 = Math.max(...all.map((p) => p[0]), x0 + 1);
    const y0 = Math.min(...all.map((p) => p[1]));
    const y1 = Math.max(...all.map((p) => p[1]), y0 + 1e-3);
    const sx = (x: number) => pad + ((x - x0) / (x1 - x0)) * (W - pad - 8);
    const sy = (y: number) => 8 + (1 - (y - y0) / (y1 - y0)) * (H - pad - 16);
    g.fillStyle = '#555';
    g.font = '11px system-ui';
    g.fillText(y1.toFixed(2), 2, 16);
    g.fillText(y0.toFixed(2), 2, H - pad);
    g.fillText(`step ${x1}`, W - 70, H - 8);
    const line = (pts: [number, number][], colour: string) => {
      g.strokeStyle = colour;
      g.lineWidth = 1.5;
      g.beginPath();
      pts.forEach(([x, y], i) => (i ? g.lineTo(sx(x), sy(y)) : g.moveTo(sx(x), sy(y))));
      g.stroke();
    };
    line(this.loss, '#1f6feb');
    line(this.val, '#d1242f');
    g.fillStyle = '#1f6feb';
    g.fillText('training loss', pad + 6, H - 8);
    g.fillStyle = '#d1242f';
    g.fillText(this.valLabel, pad + 90, H - 8);
  }
}
