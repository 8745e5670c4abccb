import { keep, type Tensor } from '@recur/tensor';
import { type Int64Like, type onnx, toNumber } from './proto';
import { type ExternalDataReader, tensorFromProto } from './tensor-proto';

/** An attribute's value as the interpreter reads it (ints and floats as numbers, strings decoded, a tensor attribute as a tensor, a graph as null). */
export type AttrValue = number | string | number[] | string[] | Tensor | null;

/**
 * A node's attributes as plain values (ints and floats as numbers, strings decoded, tensors
 * loaded), written into `out` as they are read so a caller can dispose the tensors of a failed read.
 */
export function readAttributes(
  node: onnx.INodeProto,
  readExternal?: ExternalDataReader,
  out: Record<string, AttrValue> = {},
): Record<string, AttrValue> {
  const dec = new TextDecoder();
  for (const a of node.attribute ?? []) {
    const name = a.name ?? '';
    // Defined, not assigned: an attribute named '__proto__' must not reach the prototype.
    Object.defineProperty(out, name, { value: null, enumerable: true, writable: true, configurable: true });
    switch (a.type) {
      case 1:
        out[name] = a.f ?? 0;
        break;
      case 2:
        out[name] = toNumber(a.i as Int64Like);
        break;
      case 3:
        out[name] = dec.decode(a.s ?? new Uint8Array());
        break;
      case 4:
        out[name] = a.t ? keep(tensorFromProto(a.t, readExternal)) : null;
        break;
      case 6:
        out[name] = [...(a.floats ?? [])];
        break;
      case 7:
        out[name] = (a.ints ?? []).map((v) => toNumber(v as Int64Like));
        break;
      case 8:
        out[name] = (a.strings ?? []).map((s) => dec.decode(s));
        break;
      default:
        out[name] = null;
    }
  }
  return out;
}
