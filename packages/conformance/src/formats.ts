import type { Comparison } from './fixture-tensor';
import { isKerasFitCase, runKerasFitCase } from './keras-fit-case';
import {
  isKerasModelCase,
  isModelJson,
  runKerasModelCase,
  runKerasModelCaseOrt,
  runModelJson,
} from './keras-model-case';
import {
  isConstantBidirectionalCase,
  isShapesCase,
  isWalkthroughCase,
  runConstantBidirectionalCase,
  runShapesCase,
  runWalkthroughCase,
} from './keras-walkthrough-case';
import { type CaseOptions, isLayerCase, runLayerCase } from './layer-case';
import { isOnnxCase, runOnnxCase } from './onnx-case';
import { runLayerCaseOrt, runOnnxCaseOrt } from './ort-cases';
import { isPackedCase, runPackedCase } from './packed-case';
import { isTrainCase, runTrainCase } from './train-case';

/**
 * The fixture formats the runner understands. Each recognises a parsed JSON file by its fields,
 * so any new case written in a known format is picked up without code changes.
 */
export interface FixtureFormat {
  name: string;
  detect(json: unknown, file: string): boolean;
  run(json: unknown, options: CaseOptions & { file: string }): Comparison[] | Promise<Comparison[]>;
  /** The forward check through onnxruntime (backend 'ort'); absent for training and packing cases. */
  runWholeModel?(json: unknown, file: string): Promise<Comparison[]>;
  /** A label to count passes by (the operator of an ONNX node test). */
  group?(json: unknown): string | undefined;
}

export const FORMATS: FixtureFormat[] = [
  {
    name: 'layer',
    detect: (j) => isLayerCase(j),
    run: (j, o) => runLayerCase(j as Parameters<typeof runLayerCase>[0], o),
    runWholeModel: (j) => runLayerCaseOrt(j as Parameters<typeof runLayerCaseOrt>[0]),
  },
  {
    name: 'packed',
    detect: (j) => isPackedCase(j),
    run: (j, o) => runPackedCase(j as Parameters<typeof runPackedCase>[0], o),
  },
  {
    name: 'onnx',
    detect: (j, file) => isOnnxCase(j, file),
    run: (j, o) => runOnnxCase(j as Parameters<typeof runOnnxCase>[0], o),
    runWholeModel: (j, file) => runOnnxCaseOrt(j as Parameters<typeof runOnnxCaseOrt>[0], file),
    // Passes are reported per operator and opset (the attribute forms of old opsets count apart).
    group: (j) => {
      const { op, opset } = j as { op?: string; opset?: number };
      return op && opset ? `${op} @${opset}` : op;
    },
  },
  {
    name: 'train',
    detect: (j) => isTrainCase(j),
    run: (j, o) => runTrainCase(j as Parameters<typeof runTrainCase>[0], o),
  },
  {
    // A tfjs model.json, or a .keras / .h5 file, with inputs and the reference's outputs.
    name: 'keras-model',
    detect: (j) => isKerasModelCase(j),
    run: (j, o) => runKerasModelCase(j as Parameters<typeof runKerasModelCase>[0], o),
    runWholeModel: (j, file) => runKerasModelCaseOrt(j as Parameters<typeof runKerasModelCaseOrt>[0], file),
  },
  {
    // A model.json by itself (what a keras-model case points at): it must load.
    name: 'tfjs-model.json',
    detect: (j) => isModelJson(j),
    run: (j, o) => runModelJson(j, o),
  },
  {
    // Keras walk-throughs: a recurrent layer + Dense with given weights on one-hot text.
    name: 'keras-walkthrough',
    detect: (j) => isWalkthroughCase(j),
    run: (j) => runWalkthroughCase(j as Parameters<typeof runWalkthroughCase>[0]),
  },
  {
    name: 'keras-bidirectional-constant',
    detect: (j) => isConstantBidirectionalCase(j),
    run: (j) => runConstantBidirectionalCase(j as Parameters<typeof runConstantBidirectionalCase>[0]),
  },
  {
    // Output shapes and parameter counts of small models written as Keras code.
    name: 'keras-shapes',
    detect: (j) => isShapesCase(j),
    run: (j) => runShapesCase(j as Parameters<typeof runShapesCase>[0]),
  },
  {
    // compile + fit from an initial model.json against tfjs-layers' recorded trajectory.
    name: 'keras-fit',
    detect: (j) => isKerasFitCase(j),
    run: (j, o) => runKerasFitCase(j as Parameters<typeof runKerasFitCase>[0], o),
  },
];

export function formatOf(json: unknown, file: string): FixtureFormat | undefined {
  return FORMATS.find((f) => f.detect(json, file));
}
