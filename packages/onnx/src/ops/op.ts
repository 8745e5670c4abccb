import { DTypeError, FormatError, resolveAxis, type Tensor } from '@recur/tensor';
import type { AttrValue } from '../attributes';

/** What an operator implementation sees: its inputs (undefined for an omitted optional one), attributes, opset. */
export interface OpContext {
  /** The node's inputs, in order. */
  inputs: (Tensor | undefined)[];
  /** Its attributes, read. */
  attrs: Record<string, AttrValue>;
  /** The model's opset. */
  opset: number;
  /** The node, as error messages name it. */
  node: string;
  /** How many outputs the node asks for. */
  outputs: number;
}

/** An operator: its outputs from its context (undefined for an output not produced). */
export type OpImpl = (ctx: OpContext) => (Tensor | undefined)[];

function describe(v: AttrValue): string {
  if (Array.isArray(v)) return `a list ${JSON.stringify(v).slice(0, 60)}`;
  if (v !== null && typeof v === 'object') return 'a tensor';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function badAttr(ctx: OpContext, name: string, want: string, got: AttrValue): never {
  throw new FormatError(`${ctx.node}: attribute '${name}' should be ${want}, got ${describe(got)}`);
}

/** An integer attribute (absent: `fallback`). */
export function int(ctx: OpContext, name: string, fallback: number): number {
  const v = ctx.attrs[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) badAttr(ctx, name, 'an int', v);
  return v;
}

/** A float (or int) attribute. */
export function num(ctx: OpContext, name: string, fallback: number): number {
  const v = ctx.attrs[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number') badAttr(ctx, name, 'a float', v);
  return v;
}

/** An optional float attribute. */
export function optionalNum(ctx: OpContext, name: string): number | undefined {
  return ctx.attrs[name] === undefined ? undefined : num(ctx, name, 0);
}

export function ints(ctx: OpContext, name: string): number[] | undefined {
  const v = ctx.attrs[name];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isSafeInteger(x)))
    badAttr(ctx, name, 'a list of ints', v);
  return v as number[];
}

/** Integer positions where ONNX writes INT64_MAX / MIN for "to the end" (Slice): clamped to ±2^31. */
export function boundInts(ctx: OpContext, name: string): number[] | undefined {
  const v = ctx.attrs[name];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isInteger(x)))
    badAttr(ctx, name, 'a list of ints', v);
  return (v as number[]).map((x) => Math.max(Math.min(x, 2 ** 31 - 1), -(2 ** 31)));
}

export function floats(ctx: OpContext, name: string): number[] | undefined {
  const v = ctx.attrs[name];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) badAttr(ctx, name, 'a list of floats', v);
  return v as number[];
}

export function str(ctx: OpContext, name: string, fallback: string): string {
  const v = ctx.attrs[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'string') badAttr(ctx, name, 'a string', v);
  return v;
}

export function strs(ctx: OpContext, name: string): string[] | undefined {
  const v = ctx.attrs[name];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) badAttr(ctx, name, 'a list of strings', v);
  return v as string[];
}

/** A tensor attribute (Constant's value, ConstantOfShape's fill). */
export function tensorAttr(ctx: OpContext, name: string): Tensor | undefined {
  const v = ctx.attrs[name];
  if (v === undefined) return undefined;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) badAttr(ctx, name, 'a tensor', v);
  return v as Tensor;
}

/** An axis attribute, resolved against `rank` (negative counts from the end); out of range is an error. */
export function axis(ctx: OpContext, name: string, fallback: number, rank: number): number {
  return resolveAxis(`${ctx.node}: attribute '${name}'`, int(ctx, name, fallback), rank);
}

export function input(ctx: OpContext, i: number, what: string): Tensor {
  const t = ctx.inputs[i];
  if (!t) throw new FormatError(`${ctx.node}: missing required input ${i} (${what})`);
  return t;
}

/**
 * The values of a small integer tensor (shapes, axes, indices, sizes). A float tensor where
 * integers are expected is a DTypeError.
 */
export function values(t: Tensor | undefined, ctx?: OpContext, what = 'input'): number[] | undefined {
  if (!t) return undefined;
  if (ctx && t.dtype !== 'int32' && t.dtype !== 'bool') {
    throw new DTypeError(`${ctx.node}: ${what} should be an integer tensor, got ${t.dtype}`);
  }
  return Array.from(t.dataSync());
}

/** A shape given as data: non-negative integers (or -1 / 0 where the operator allows them). */
export function shapeValues(ctx: OpContext, t: Tensor, what: string, allow: { minusOne?: boolean } = {}): number[] {
  const v = values(t, ctx, what) as number[];
  if (t.rank > 1) throw new FormatError(`${ctx.node}: ${what} should be a 1-D tensor, got rank ${t.rank}`);
  for (const d of v) {
    if (d < (allow.minusOne ? -1 : 0))
      throw new FormatError(`${ctx.node}: ${what} [${v.join(', ')}] has a negative dimension ${d}`);
  }
  return v;
}
