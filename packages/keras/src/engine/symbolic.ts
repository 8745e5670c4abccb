import type { DType } from '@recur/tensor';
import type { Layer } from './layer';

/** A shape whose batch (and any free) axis may be unknown: null, as Keras' None. */
export type SymbolicShape = (number | null)[];

/** What build / computeOutputShape take: one shape, or one per input for layers that take a list. */
export type ShapeArg = readonly (number | null)[] | readonly (readonly (number | null)[])[];

/**
 * A placeholder for a tensor in a model graph (Keras' KerasTensor, tfjs' SymbolicTensor): it has a
 * shape and a dtype but no values. `keras.Input` makes one; applying a layer to one records a node
 * and returns the layer's outputs as new symbolic tensors.
 */
export class SymbolicTensor {
  constructor(
    /** Its shape; null for an axis of any size (batch, time). */
    readonly shape: SymbolicShape,
    /** Its dtype. */
    readonly dtype: DType,
    /** The call that produced it. */
    readonly node: Node,
    /** Which of that call's outputs it is. */
    readonly index: number,
    /** Its name ('lstm/output_0' style, for messages and summaries). */
    readonly name: string,
  ) {}

  /** Its number of axes. */
  get rank(): number {
    return this.shape.length;
  }

  /** The layer whose call produced this tensor. */
  get sourceLayer(): Layer {
    return this.node.layer;
  }

  /** `SymbolicTensor 'name' (None, 5, 3) float32`. */
  toString(): string {
    return `SymbolicTensor '${this.name}' (${this.shape.map((d) => d ?? 'None').join(', ')}) ${this.dtype}`;
  }
}

/** How a call's flat input list maps back to the layer's arguments. */
export interface NodeArgs {
  /** The layer takes a list (merge layers, models with several inputs) rather than one tensor. */
  list: boolean;
  /** Trailing inputs that are the RNN's initial states (encoder states into a decoder). */
  initialStates: number;
  /** A fixed `training` flag given at call time. */
  training?: boolean;
}

/**
 * One call of a layer on symbolic tensors: its inputs (a flat list), how they map to the layer's
 * arguments, and its outputs. A layer applied twice has two nodes and shares its weights.
 */
export class Node {
  /** The call's outputs. */
  outputs: SymbolicTensor[] = [];

  constructor(
    /** The layer called. */
    readonly layer: Layer,
    /** Its inputs, flat (initial states last). */
    readonly inputs: SymbolicTensor[],
    /** How the inputs map to the layer's arguments. */
    readonly args: NodeArgs,
    /** This node's position in `layer.inboundNodes` (Keras' node_index). */
    readonly index: number,
  ) {}

  /** Nodes whose outputs this node reads. */
  get parents(): Node[] {
    return [...new Set(this.inputs.map((t) => t.node))];
  }
}

/** Whether x is a symbolic tensor (a model is being built, not run). */
export function isSymbolic(x: unknown): x is SymbolicTensor {
  return x instanceof SymbolicTensor;
}

/** Formats a symbolic shape the way Keras prints it: (None, 5, 3). */
export function formatSymbolicShape(shape: readonly (number | null)[]): string {
  return `(${shape.map((d) => (d === null ? 'None' : d)).join(', ')}${shape.length === 1 ? ',' : ''})`;
}
