import type { ActivationName, RecurrentKind } from '@recur/backend-api';
import type { Tensor } from '@recur/tensor';
import { Module } from '../module';
import type { RecurrentWeights } from '../recurrent/recurrent-op';

/** What a built-in cell hands the fused kernel: its weights in PyTorch layout and its arithmetic. */
export interface FusedForm {
  kind: RecurrentKind;
  weights: RecurrentWeights;
  activations: ActivationName[];
  linearBeforeReset: boolean;
}

/**
 * A recurrent cell, Keras style: one time step from an input [B, I] and the previous states to an
 * output and the new states. Subclass it to write your own cell; `RNN(cell)` runs it over a
 * sequence, and autograd trains it.
 *
 * @example
 * class MinimalRNNCell extends Cell {
 *   stateSize = [4];
 *   outputSize = 4;
 *   build(inputShape) { this.registerParameter('kernel', randomNormal([inputShape.at(-1), 4])); ... }
 *   call(x, [h]) { const out = tanh(add(matMul(x, this.weight('kernel')), matMul(h, this.weight('recurrent')))); return [out, [out]]; }
 * }
 */
export abstract class Cell extends Module {
  /** Size of each state tensor, e.g. [units] for SimpleRNN and GRU, [units, units] for LSTM. */
  abstract readonly stateSize: number[];
  abstract readonly outputSize: number;
  /** Creates the weights once the input size is known (called once, before the first step). */
  abstract build(inputShape: readonly (number | null)[]): void;
  abstract call(input: Tensor, states: Tensor[], training: boolean): [Tensor, Tensor[]];

  /** Built-in cells describe themselves to the fused kernel; a user cell returns null (the default). */
  fusedForm(_training: boolean): FusedForm | null {
    return null;
  }

  /** Called by RNN before the first step of a sequence (dropout masks are drawn here). */
  startSequence(_batchSize: number, _training: boolean): void {}

  /** Called by RNN after the last step. */
  endSequence(): void {}

  /** A parameter's current value, for use inside `call`. */
  weight(name: string): Tensor {
    return this.parameter(name).value;
  }

  /** Registers a parameter (public so cells written outside the package can build). */
  addWeight(name: string, value: Tensor, trainable = true): void {
    this.registerParameter(name, value, trainable);
  }
}
