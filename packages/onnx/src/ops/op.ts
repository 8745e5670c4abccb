import type { Tensor } from '@recur/tensor';
import { RecurError } from '@recur/tensor';
import type { AttrValue } from '../attributes';

/** What an operator implementation sees: its inputs (undefined for an omitted optional one), attributes, opset. */
export interface OpContext {
  inputs: (Tensor | undefined)[];
  attrs: Record<string, AttrValue>;
  opset: number;
  node: string;
  /** How many outputs the node asks for. */
  outputs: number;
}

export type OpImpl = (ctx: OpContext) => (Tensor | undefined)[];

export function int(ctx: OpContext, name: string, fallback: number): number {
  const v = ctx.attrs[name];
  return typeof v === 'number' ? v : fallback;
}

/** A float (or int) attribute. */
export function num(ctx: OpContext, name: string, fallback: number): number {
  return int(ctx, name, fallback);
}

export function ints(ctx: OpContext, name: string): number[] | undefined {
  const v = ctx.attrs[name];
  return Array.isArray(v) ? (v as number[]) : undefined;
}

export function input(ctx: OpContext, i: number, what: string): Tensor {
  const t = ctx.inputs[i];
  if (!t) throw new RecurError(`${ctx.node}: missing required input ${i} (${what})`);
  return t;
}

/** The values of a small integer tensor (shapes, axes, indices). */
export function values(t: Tensor | undefined): number[] | undefined {
  return t ? Array.from(t.dataSync()) : undefined;
}
