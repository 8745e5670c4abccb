import { ConfigError } from '@recur/tensor';
import type { Layer } from './layer';

/** Keras' serialised layer: the class name and its config (camelCase, as tfjs' getConfig). */
export interface LayerSpec {
  /** The layer's class name ('LSTM'). */
  className: string;
  /** Its config, as `getConfig` returns it. */
  config: Record<string, unknown>;
}

/** What `fromConfig` is given besides the config: a way to rebuild nested layers and cells. */
export interface ConfigContext {
  /** Builds a nested layer (a cell, a wrapped layer) from its spec. */
  deserialize(spec: LayerSpec): Layer;
}

/** A layer class that `fromConfig` can rebuild: a static `fromConfig`, or a constructor taking the config. */
export interface LayerClass {
  new (config: never, ...rest: never[]): Layer;
  /** The name configs use for it; defaults to the class name. */
  readonly className?: string;
  /** Builds an instance from a config (Keras' from_config). */
  fromConfig?(config: Record<string, unknown>, context: ConfigContext): Layer;
}

/**
 * The names `registerLayer` gave classes, so a saved spec names a class as it was registered.
 * Like Keras' and tfjs' registries, the one piece of module state the Keras door keeps: it is
 * what a user asked for, read whenever a layer is saved.
 */
export const registeredNames = new WeakMap<object, string>();

/** The name a class is registered and serialised under. */
export function classNameOf(cls: LayerClass): string {
  return cls.className ?? cls.name.replace(/^_+|\d+$/g, '');
}

/** `{ className, config }` of a layer or cell. */
export function specOf(layer: Layer): LayerSpec {
  const cls = layer.constructor as { className?: string };
  const className =
    registeredNames.get(cls) ?? (Object.hasOwn(cls, 'className') ? cls.className : undefined) ?? layer.layerType;
  return { className: className as string, config: layer.getConfig() };
}

/** Builds an instance of `cls` from a spec: its static `fromConfig`, or its constructor with the config. */
export function fromSpec(cls: LayerClass, spec: LayerSpec, context: ConfigContext): Layer {
  const config = spec.config ?? {};
  if (cls.fromConfig) return cls.fromConfig(config, context);
  return new cls(config as never);
}

/**
 * A context that rebuilds specs with the classes of a layer and its sub-layers (its cells, a
 * wrapped layer): what Keras does to copy a layer, so a user's class needs no registration.
 */
export function contextOf(layer: Layer): ConfigContext {
  const classes = new Map<string, LayerClass>();
  const seen: Layer[] = [layer];
  for (const [, m] of layer.namedModules()) if ((m as Layer).getConfig) seen.push(m as Layer);
  for (const l of seen) classes.set(specOf(l).className, l.constructor as LayerClass);
  const context: ConfigContext = {
    deserialize(spec) {
      const cls = classes.get(spec?.className);
      if (!cls)
        throw new ConfigError(`${layer.name}: cannot copy a nested '${spec?.className}', which is not part of it`);
      return fromSpec(cls, spec, context);
    },
  };
  return context;
}
