import { ConfigError, type Tensor } from '@recur/tensor';
import { type ConfigContext, type LayerSpec, specOf } from '../engine/config';
import type { ShapeArg, SymbolicShape } from '../engine/symbolic';
import { Cell } from './cell';

/**
 * Keras' StackedRNNCells: several cells run as one, each step feeding the next cell the previous
 * one's output (what `keras.RNN([cell1, cell2])` builds). The states are every cell's states in
 * order; the output is the last cell's. Runs on the step-by-step path.
 */
export class StackedRNNCells extends Cell {
  /** The class name configs and files use for it. */
  static readonly className = 'StackedRNNCells';
  override get layerType(): string {
    return 'StackedRNNCells';
  }

  /** The cells, run in order each step. */
  readonly cells: Cell[];

  constructor(cells: Cell[], options: { name?: string } = {}) {
    super({ name: options.name });
    if (!Array.isArray(cells) || cells.length === 0 || cells.some((c) => !(c instanceof Cell)))
      throw new ConfigError(`${this.name}: expected a non-empty list of cells (keras.LSTMCell, a Cell subclass, ...)`);
    this.cells = cells.map((c, i) => this.registerModule(`cells.${i}`, c));
  }

  get stateSize(): number[] {
    return this.cells.flatMap((c) => c.stateSize);
  }

  /** The last cell's output size. */
  get outputSize(): number {
    return (this.cells.at(-1) as Cell).outputSize;
  }

  override build(inputShape: ShapeArg): void {
    let shape = inputShape as SymbolicShape;
    for (const c of this.cells) {
      if (!c.built) {
        c.build(shape);
        (c as unknown as { markBuilt(): void }).markBuilt();
      }
      shape = [shape[0] ?? null, c.outputSize];
    }
    super.build(inputShape);
  }

  call(input: Tensor, states: Tensor[], training: boolean): [Tensor, Tensor[]] {
    let x = input;
    let k = 0;
    const next: Tensor[] = [];
    for (const c of this.cells) {
      const n = c.stateSize.length;
      const [out, s] = c.call(x, states.slice(k, k + n), training);
      next.push(...s);
      x = out;
      k += n;
    }
    return [x, next];
  }

  override startSequence(batchSize: number, training: boolean): void {
    for (const c of this.cells) c.startSequence(batchSize, training);
  }

  override endSequence(): void {
    for (const c of this.cells) c.endSequence();
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), cells: this.cells.map((c) => specOf(c)) };
  }

  /** Builds the layer from its config (Keras' from_config). */
  static fromConfig(config: Record<string, unknown>, context: ConfigContext): StackedRNNCells {
    const cells = config.cells;
    if (!Array.isArray(cells))
      throw new ConfigError(`StackedRNNCells config: 'cells' should be a list of { className, config }`);
    return new StackedRNNCells(
      cells.map((c) => context.deserialize(c as LayerSpec) as Cell),
      { name: config.name as string | undefined },
    );
  }
}
