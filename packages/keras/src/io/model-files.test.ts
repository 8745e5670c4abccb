import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { manualSeed } from '@recur/tensor';
import { encodeCheckpoint } from '@recur/train';
import { describe, expect, it } from 'vitest';
import { Dense, Sequential } from '../index';
import { detectModelFile, MODEL_FILE_FORMATS, saveFormatOf } from './model-files';
import { serializeModel } from './save';

const FIXTURES = join(__dirname, '..', '..', '..', '..', 'fixtures');
const bytes = (...p: string[]) => new Uint8Array(readFileSync(join(FIXTURES, ...p)));

describe('the table of model files', () => {
  it('recognises files written by Keras, TensorFlow.js and PyTorch by their contents', () => {
    expect(detectModelFile(bytes('keras-files', 'k3_gru_reset_after.keras'))?.name).toBe('keras');
    expect(detectModelFile(bytes('keras-files', 'k2_legacy_bigru.h5'))?.name).toBe('h5');
    expect(detectModelFile(bytes('tfjs', 'gru_sharded', 'model.json'))?.name).toBe('tfjs');
    // an ONNX file renamed without its extension is still ONNX
    expect(detectModelFile(bytes('torch-1.13', 'lstm_h0_c0_opset9.onnx'), 'download')?.name).toBe('onnx');
  });

  it("tells recur's model file from a training checkpoint, both safetensors", async () => {
    manualSeed(0);
    const model = new Sequential([new Dense({ units: 2, inputShape: [3] })]);
    model.build([null, 3]);
    const file = (await serializeModel(model, 'recur')).files['model.safetensors'];
    expect(detectModelFile(file)?.name).toBe('recur');
    const checkpoint = encodeCheckpoint({
      model: Object.fromEntries(model.getWeights().map((w, i) => [`w${i}`, w])),
      step: 3,
    });
    expect(detectModelFile(checkpoint)?.name).toBe('checkpoint');
    model.dispose();
  });

  it('says nothing of bytes it does not know', () => {
    expect(detectModelFile(new TextEncoder().encode('hello'), 'notes.txt')).toBeUndefined();
  });

  it('picks the written format by the save path, as the table says', () => {
    expect(saveFormatOf('m.keras')).toBe('keras');
    expect(saveFormatOf('out/model.json')).toBe('tfjs');
    expect(saveFormatOf('out/')).toBe('tfjs');
    expect(saveFormatOf('m.safetensors')).toBe('recur');
    expect(() => saveFormatOf('m.h5')).toThrow(/m\.keras/);
    for (const f of MODEL_FILE_FORMATS.filter((f) => f.write)) expect(f.loads).toBe(true);
  });
});
