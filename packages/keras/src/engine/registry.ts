import { ConfigError } from '@recur/tensor';
import { builtinLayerClasses } from './builtins';
import { type ConfigContext, type Layer, type LayerSpec, registeredNames, specOf } from './layer';

/** A layer class that `fromConfig` can rebuild: a static `fromConfig`, or a constructor taking the config. */
export interface LayerClass {
  new (config: never, ...rest: never[]): Layer;
  /** The name configs use for it; defaults to the class name. */
  readonly className?: string;
  fromConfig?(config: Record<string, unknown>, context: ConfigContext): Layer;
}

const registered = new Map<string, LayerClass>();

/** The name a class is registered and serialised under. */
export function classNameOf(cls: LayerClass): string {
  return cls.className ?? cls.name.replace(/^_+|\d+$/g, '');
}

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

let builtinTable: Map<string, LayerClass> | null = null;

function builtins(): Map<string, LayerClass> {
  builtinTable ??= builtinLayerClasses();
  return builtinTable;
}

/** The class registered under `name` (custom classes first, then recur's own), if any. */
export function layerClass(name: string): LayerClass | undefined {
  return registered.get(name) ?? builtins().get(name);
}

/** Every class name a config may use. */
export function knownLayerClasses(): string[] {
  return [...new Set([...registered.keys(), ...builtins().keys()])].sort();
}

/**
 * Rebuilds a layer (or cell) from `{ className, config }`; an unregistered class is an error
 * naming it. `classes` looks a name up first (a package mapping 'Sequential' to its own model
 * class); nested layers are rebuilt the same way.
 */
export function deserializeLayer(spec: LayerSpec, classes?: (name: string) => LayerClass | undefined): Layer {
  if (!spec || typeof spec !== 'object' || typeof spec.className !== 'string') {
    throw new ConfigError(`deserializeLayer: expected { className, config }, got ${JSON.stringify(spec)}`);
  }
  const cls = classes?.(spec.className) ?? layerClass(spec.className);
  if (!cls) {
    throw new ConfigError(
      `unknown layer class '${spec.className}': register it with registerLayer(${spec.className}) before loading`,
    );
  }
  const config = spec.config ?? {};
  const context: ConfigContext = { deserialize: (s) => deserializeLayer(s, classes) };
  if (cls.fromConfig) return cls.fromConfig(config, context);
  return new cls(config as never);
}

/** `{ className, config }` of a layer, for saving. */
export function serializeLayer(layer: Layer): LayerSpec {
  return specOf(layer);
}
