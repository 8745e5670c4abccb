import type { ActivationName } from '@recur/backend-api';
import type { CellSpec, RecurrentWeights } from '@recur/layers';
import { ConfigError, type Tensor } from '@recur/tensor';
import { Layer } from '../engine/layer';
import type { ShapeArg } from '../engine/symbolic';

/**
 * What a cell of a known kind hands the whole-sequence recurrent op (the backend's fused kernel,
 * or the kind's composed steps): its kind, weights in PyTorch layout and arithmetic.
 */
export interface FusedForm {
  /** The cell kind. */
  kind: CellSpec;
  /** One direction's weights in PyTorch's layout. */
  weights: RecurrentWeights;
  /** The activations by name, in the kind's order. */
  activations: ActivationName[];
  /** GRU: the reset gate after the recurrent product. */
  linearBeforeReset: boolean;
}

/**
 * A recurrent cell, Keras style: one time step from an input [B, I] and the previous states to an
 * output and the new states. Subclass it to write your own cell: create the weights in `build`
 * with `addWeight` (it runs once, the first time `keras.RNN` sees an input), compute one step in
 * `call`. `RNN(cell)` runs it over a sequence, `fit` trains it, and after `registerLayer(MyCell)`
 * a saved model with it loads again.
 *
 * @example
 * ```ts
 * import { Cell, registerLayer, RNN } from '@recur/keras';
 * import { add, matMul, randomNormal, tanh, type Tensor } from '@recur/tensor';
 * class MinimalRNNCell extends Cell {
 *   static className = 'MinimalRNNCell';
 *   readonly stateSize: number[];
 *   readonly outputSize: number;
 *   constructor(readonly config: { units: number; name?: string }) {
 *     super({ name: config.name });
 *     this.stateSize = [config.units];
 *     this.outputSize = config.units;
 *   }
 *   override build(inputShape: (number | null)[]) {
 *     this.addWeight('kernel', [inputShape.at(-1) as number, this.outputSize], 'glorotUniform');
 *     this.addWeight('recurrent_kernel', [this.outputSize, this.outputSize], 'orthogonal');
 *     super.build(inputShape);
 *   }
 *   call(x: Tensor, [h]: Tensor[]): [Tensor, Tensor[]] {
 *     const out = tanh(add(matMul(x, this.weight('kernel')), matMul(h, this.weight('recurrent_kernel'))));
 *     return [out, [out]];
 *   }
 *   override getConfig() {
 *     return { ...super.getConfig(), units: this.outputSize };
 *   }
 * }
 * registerLayer(MinimalRNNCell); // so a saved model with it loads again
 * const rnn = new RNN(new MinimalRNNCell({ units: 4 }), { returnSequences: true });
 * console.log(rnn.apply(randomNormal([2, 5, 3])).shape, rnn.countParams()); // [2, 5, 4] 28
 * ```
 */
export abstract class Cell extends Layer {
  /** Size of each state tensor, e.g. [units] for SimpleRNN and GRU, [units, units] for LSTM. */
  abstract readonly stateSize: number[];
  /** Size of each step's output. */
  abstract readonly outputSize: number;
  /** One step: the output and the new states, from an input [B, I] and the previous states. */
  abstract call(input: Tensor, states: Tensor[], training: boolean): [Tensor, Tensor[]];

  /** Creates the weights once the input size is known (called once, before the first step). */
  override build(inputShape: ShapeArg): void {
    super.build(inputShape);
  }

  /** A cell is run by keras.RNN, not called on a whole input. */
  override forward(): Tensor {
    throw new ConfigError(`${this.name}: a cell runs one step inside keras.RNN; wrap it: new keras.RNN(cell)`);
  }

  /** Built-in cells describe themselves to the fused kernel; a user cell returns null (the default). */
  fusedForm(_training: boolean): FusedForm | null {
    return null;
  }

  /** Called by RNN before the first step of a sequence (dropout masks are drawn here). */
  startSequence(_batchSize: number, _training: boolean): void {}

  /** Called by RNN after the last step. */
  endSequence(): void {}
}
