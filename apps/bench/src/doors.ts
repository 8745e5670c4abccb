import { LSTM as KerasLSTM, Sequential } from '@recur/keras';
import { LSTM } from '@recur/layers';
import { dispose, manualSeed, randomNormal, tidy } from '@recur/tensor';
import { type Row, timePairs } from './timing';

const I = 128;
const H = 256;
const T = 16;

/**
 * `pnpm bench doors`: the same LSTM(256) predicting through the Keras door (Sequential + LSTM,
 * Keras-layout weights) and through the PyTorch door (nn.LSTM-style, PyTorch layout), at batch 1
 * and 32, the two alternated in one loop. The Keras door converts its weights to the kernel's
 * layout once per weight version, so the ratio should be about 1.
 */
export async function benchDoors(): Promise<Row[]> {
  manualSeed(0);
  const torch = new LSTM(I, H, { batchFirst: true });
  const keras = new Sequential([new KerasLSTM({ units: H, inputShape: [T, I] })]);
  keras.build([null, T, I]);
  const rows: Row[] = [];
  for (const B of [1, 32]) {
    const x = randomNormal([B, T, I]);
    const workload = `LSTM(${H}) predict, ${B}×${T}×${I}`;
    const [tk, tt] = await timePairs(
      async () => dispose(keras.predict(x)),
      async () => dispose(tidy(() => torch.forward(x).output)),
      B === 1 ? 200 : 40,
    );
    const tokens = (ms: number) => (B * T) / (ms / 1000);
    rows.push({ workload, contender: 'PyTorch door (LSTM)', ms: tt, rate: tokens(tt) });
    rows.push({ workload, contender: 'Keras door (Sequential + LSTM)', ms: tk, rate: tokens(tk) });
    x.dispose();
  }
  keras.dispose();
  torch.dispose();
  return rows;
}
