import { cast, type DType, FormatError, formatShape, type Tensor } from '@recur/tensor';
import { Functional } from '../engine/functional';
import { Layer, type WeightSource } from '../engine/layer';

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
 * A model file's weights, grouped by the (outermost) layer they belong to. A loader hands the plan
 * to every layer it makes (`layer.takeWeightsFrom(plan)`), so the weights a layer adds while it
 * builds come from the file: loading runs no initializer and allocates each weight once. Within a
 * layer a weight is found by its name where the file has names (tfjs manifests, Keras 2 .h5), by
 * position otherwise (Keras 3 .keras), and by direction inside a Bidirectional. `finish` walks the
 * built model afterwards (Keras' load_own_variables).
 */
export class WeightPlan implements WeightSource {
  private readonly used = new Set<WeightEntry>();
  /** The values the file gave (a parameter holding one of them was loaded while its layer built). */
  private readonly given = new WeakSet<Tensor>();

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
    const value = t.dtype === dtype ? t : cast(t, dtype);
    if (value !== t) t.dispose();
    this.given.add(value);
    return value;
  }

  /**
   * After building, walks the model (Keras' load_own_variables): a weight a layer added before it
   * was handed the plan (in its constructor) takes its file value now; then every file weight must
   * have found its layer, and the layers let go of the plan.
   */
  finish(model: Layer): void {
    try {
      for (const owner of graphLayers(model)) {
        const modules = new Map<string, Layer>(
          owner.namedModules().filter((e): e is [string, Layer] => e[1] instanceof Layer),
        );
        for (const [path, p] of owner.namedParameters()) {
          if (this.given.has(p.value)) continue;
          const cut = path.lastIndexOf('.');
          const layer = cut < 0 ? owner : modules.get(path.slice(0, cut));
          if (!layer) continue;
          p.assign(this.take(owner, layer, path.slice(cut + 1), p.shape, p.dtype));
        }
      }
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
    } finally {
      for (const l of [model, ...graphLayers(model)]) l.takeWeightsFrom(null);
    }
  }
}

/** The layers a model's graphs call (nested models' layers too, not the nested models themselves). */
function graphLayers(model: Layer): Layer[] {
  if (!(model instanceof Functional)) return [model];
  return model.layers.flatMap((l) => (l instanceof Functional ? graphLayers(l) : [l]));
}
