import { ConfigError } from '@recur/tensor';
import {
  type ConfigContext,
  classNameOf,
  fromSpec,
  type LayerClass,
  type LayerSpec,
  registeredNames,
  specOf,
} from '../engine/config';
import type { Layer } from '../engine/layer';
import { BUILTIN_CLASSES } from './builtin-classes';

/** Classes `registerLayer` was given, by name (Keras' custom objects; read when configs are loaded). */
const registered = new Map<string, LayerClass>();

/**
 * Registers a custom layer or cell class so that configs naming it load (Keras'
 * `register_keras_serializable`, tfjs' `registerClass`). Returns the class, so it can wrap a
 * class declaration.
 *
 * @example
 * ```ts
 * import { deserializeLayer, Layer, registerLayer, serializeLayer } from '@recur/keras';
 * import { mul, type Tensor } from '@recur/tensor';
 * class Scale extends Layer {
 *   static className = 'Scale';
 *   constructor(readonly config: { factor: number; name?: string }) {
 *     super({ name: config.name });
 *   }
 *   call(x: Tensor): Tensor {
 *     return mul(x, this.config.factor);
 *   }
 *   override getConfig() {
 *     return { ...super.getConfig(), factor: this.config.factor };
 *   }
 * }
 * registerLayer(Scale);
 * const copy = deserializeLayer(serializeLayer(new Scale({ factor: 3 })));
 * console.log(copy instanceof Scale, Array.from(copy.apply([[1, 2]]).dataSync())); // true [3, 6]
 * ```
 */
export function registerLayer<C extends LayerClass>(cls: C, name: string = classNameOf(cls)): C {
  registered.set(name, cls);
  registeredNames.set(cls, name);
  return cls;
}

/** The class registered under `name` (custom classes first, then recur's own), if any. */
export function layerClass(name: string): LayerClass | undefined {
  return registered.get(name) ?? BUILTIN_CLASSES.get(name);
}

/** Every class name a config may use. */
export function knownLayerClasses(): string[] {
  return [...new Set([...registered.keys(), ...BUILTIN_CLASSES.keys()])].sort();
}

/** How `deserializeLayer` finds classes and what it does with each layer it makes. */
export interface DeserializeOptions {
  /** Classes by config name, looked up before the registry (Keras' `custom_objects`). */
  customObjects?: Record<string, LayerClass>;
  /** Called with every layer made, nested ones included, outermost last (a loader hands each its file weights). */
  onLayer?: (layer: Layer) => void;
}

/**
 * Rebuilds a layer (or cell) from `{ className, config }`: `customObjects` first, then the classes
 * given to `registerLayer`, then recur's own; an unknown class is an error naming it. Nested layers
 * are rebuilt the same way.
 */
export function deserializeLayer(spec: LayerSpec, options: DeserializeOptions = {}): Layer {
  const context: ConfigContext = {
    deserialize(s) {
      if (!s || typeof s !== 'object' || typeof s.className !== 'string') {
        throw new ConfigError(`deserializeLayer: expected { className, config }, got ${JSON.stringify(s)}`);
      }
      const custom = options.customObjects;
      const cls =
        (custom && Object.hasOwn(custom, s.className) ? custom[s.className] : undefined) ?? layerClass(s.className);
      if (!cls) {
        throw new ConfigError(
          `unknown layer class '${s.className}': register it with registerLayer(${s.className}) before loading`,
        );
      }
      const layer = fromSpec(cls, s, context);
      options.onLayer?.(layer);
      return layer;
    },
  };
  return context.deserialize(spec);
}

/** `{ className, config }` of a layer, for saving. */
export function serializeLayer(layer: Layer): LayerSpec {
  return specOf(layer);
}
