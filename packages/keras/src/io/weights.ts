import { cast, type DType, FormatError, formatShape, type Tensor } from '@recur/tensor';
import type { Layer, WeightSource } from '../engine/layer';

/** One weight in a model file, decoded only when a layer asks for it. */
export interface WeightEntry {
  /** Where it is in the file (a manifest name, an HDF5 path). */
  path: string;
  /** The weight's own name when the file has one ('kernel', 'bias', ...), else undefined (by position). */
  name?: string;
  shape: number[];
  load(): Tensor;
}

/** The path of `layer` inside `owner` (e.g. 'forward_layer.cell'), '' for the owner itself. */
function pathWithin(owner: Layer, layer: Layer): string {
  if (owner === layer) return '';
  for (const [p, m] of owner.namedModules()) if (m === layer) return p;
  return '';
}

function role(path: string): 'forward' | 'backward' | '' {
  if (/(^|[./])forward_layer/.test(path)) return 'forward';
  if (/(^|[./])backward_layer/.test(path)) return 'backward';
  return '';
}

/**
 * A model file's weights, grouped by the (outermost) layer they belong to, handed to layers as
 * they build: so loading runs no initializer and allocates each weight once. Within a layer a
 * weight is found by its name where the file has names (tfjs manifests, Keras 2 .h5), by position
 * otherwise (Keras 3 .keras), and by direction inside a Bidirectional.
 */
export class WeightPlan implements WeightSource {
  private readonly used = new Set<WeightEntry>();

  constructor(
    private readonly where: string,
    private readonly byLayer: Map<string, WeightEntry[]>,
  ) {}

  take(owner: Layer, layer: Layer, name: string, shape: readonly number[], dtype: DType): Tensor {
    const list = this.byLayer.get(owner.name);
    if (!list) {
      throw new FormatError(
        `the file has no weights for layer '${owner.name}' (${owner.layerType}), which needs '${name}' ${formatShape(shape)}`,
        { file: this.where },
      );
    }
    const r = role(pathWithin(owner, layer));
    let candidates = list.filter((e) => !this.used.has(e));
    if (r) {
      const inRole = candidates.filter((e) => e.path.slice(e.path.indexOf('/') + 1).includes(r));
      if (inRole.length) candidates = inRole;
    }
    const named = candidates.some((e) => e.name !== undefined);
    const entry = named ? candidates.find((e) => e.name === name) : candidates[0];
    if (!entry) {
      throw new FormatError(
        `layer '${owner.name}' (${owner.layerType}) needs weight '${name}' ${formatShape(shape)}, which the file does not have (left for it: ${candidates.map((e) => e.path).join(', ') || 'none'})`,
        { file: this.where },
      );
    }
    if (entry.shape.join() !== shape.join()) {
      throw new FormatError(
        `layer '${owner.name}' (${owner.layerType}): weight '${name}' should be ${formatShape(shape)}, the file has ${formatShape(entry.shape)}`,
        { file: this.where, entry: entry.path },
      );
    }
    this.used.add(entry);
    const t = entry.load();
    if (t.dtype === dtype) return t;
    const c = cast(t, dtype);
    t.dispose();
    return c;
  }

  /** After building: every weight of the file must have found its layer. */
  finish(): void {
    const left = [...this.byLayer.values()].flat().filter((e) => !this.used.has(e));
    if (left.length) {
      throw new FormatError(
        `the file has weights the model does not use: ${left
          .slice(0, 8)
          .map((e) => `${e.path} ${formatShape(e.shape)}`)
          .join(', ')}${left.length > 8 ? ` and ${left.length - 8} more` : ''}`,
        { file: this.where },
      );
    }
  }
}
