import { FormatError } from '@recur/tensor';
import type { Model } from '../model';
import { child, datasetEntry, type H5Group, h5, isGroup, openH5, stringAttr, stringListAttr } from './hdf5';
import { type LoadClasses, loadContext, modelFromTopology } from './topology';
import { type WeightEntry, WeightPlan } from './weights';

/**
 * Reads a legacy Keras 2 `.h5` (tf.keras' model.save('m.h5')): the `model_config` attribute and
 * `model_weights/<layer>/<weight name>` datasets, listed per layer by `weight_names`.
 */
export async function readLegacyH5(
  where: string,
  bytes: Uint8Array,
  classes: LoadClasses = {},
): Promise<{ model: Model; trainingConfig?: Record<string, unknown> }> {
  const root = await openH5(where, bytes);
  const configText = stringAttr(where, root, 'model_config');
  if (!configText) {
    throw new FormatError(
      "the HDF5 file has no 'model_config' attribute: it holds weights only (save_weights), not a whole model",
      { file: where },
    );
  }
  let config: unknown;
  try {
    config = JSON.parse(configText);
  } catch (e) {
    throw new FormatError(`model_config is not valid JSON (${(e as Error).message})`, {
      file: where,
      entry: 'model_config',
    });
  }
  const weightsRoot = child(where, root, 'model_weights') ?? root;
  if (!isGroup(weightsRoot)) throw new FormatError("'model_weights' should be a group", { file: where });
  const byLayer = new Map<string, WeightEntry[]>();
  for (const layer of stringListAttr(where, weightsRoot, 'layer_names')) {
    const g = child(where, weightsRoot, layer);
    if (!g || !isGroup(g))
      throw new FormatError(`layer_names lists '${layer}', which has no group`, {
        file: where,
        entry: `model_weights/${layer}`,
      });
    const names = stringListAttr(where, g, 'weight_names');
    const entries = names.map((n) => {
      const d = h5(where, n, () => (g as H5Group).get(n));
      if (!d || isGroup(d))
        throw new FormatError(`weight '${n}' is not a dataset`, { file: where, entry: `model_weights/${layer}/${n}` });
      return datasetEntry(where, `${layer}/${n}`, d, n.split('/').pop()?.replace(/:\d+$/, ''));
    });
    if (entries.length) byLayer.set(layer, entries);
  }
  const plan = new WeightPlan(where, byLayer);
  const model = modelFromTopology(config, 'keras2', where, loadContext(plan, classes));
  plan.finish(model);
  const training = stringAttr(where, root, 'training_config');
  let trainingConfig: Record<string, unknown> | undefined;
  if (training) {
    try {
      trainingConfig = JSON.parse(training);
    } catch {
      trainingConfig = undefined;
    }
  }
  return { model, trainingConfig };
}
