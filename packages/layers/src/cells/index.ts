import { ConfigError } from '@recur/tensor';
import type { CellSpec } from './cell-spec';
import { GRU_CELL } from './gru';
import { LSTM_CELL } from './lstm';
import { SIMPLE_RNN } from './simple-rnn';

export type { CellSpec, CellWeights, OnnxStep, OnnxStepWriter, StepOptions } from './cell-spec';
export { gateCount } from './cell-spec';
export { GRU_CELL, LSTM_CELL, SIMPLE_RNN };

/** recur's recurrent cell kinds. A new kind is a spec file and one line here. */
export const CELLS: readonly CellSpec[] = [SIMPLE_RNN, LSTM_CELL, GRU_CELL];

/** A cell kind by name ('rnn', 'lstm', 'gru', or a spec given as is); an unknown name is an error listing the kinds. */
export function cellSpec(kind: string | CellSpec): CellSpec {
  if (typeof kind !== 'string') return kind;
  const spec = CELLS.find((c) => c.kind === kind.toLowerCase());
  if (!spec)
    throw new ConfigError(`unknown recurrent cell kind '${kind}' (known: ${CELLS.map((c) => c.kind).join(', ')})`);
  return spec;
}
