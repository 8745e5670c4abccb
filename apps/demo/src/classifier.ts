import { packPaddedSequence } from '@recur/data';
import { Embedding, Linear, LSTM, Module } from '@recur/layers';
import { concat, type Rng, slice, squeeze, type Tensor, tidy } from '@recur/tensor';

/**
 * Many-to-one text classifier: Embedding → bidirectional LSTM over a packed batch (each message
 * read to its own length, both ways) → the two final hidden states → Linear → class logits.
 */
export class TextClassifier extends Module {
  readonly embedding: Embedding;
  readonly lstm: LSTM;
  readonly head: Linear;

  constructor(vocabSize: number, embeddingDim: number, hiddenSize: number, classes: number, rng?: Rng) {
    super();
    this.embedding = this.registerModule('embedding', new Embedding(vocabSize, embeddingDim, { paddingIdx: 0, rng }));
    this.lstm = this.registerModule(
      'lstm',
      new LSTM(embeddingDim, hiddenSize, { batchFirst: true, bidirectional: true, rng }),
    );
    this.head = this.registerModule('head', new Linear(2 * hiddenSize, classes, { rng }));
  }

  override get layerType(): string {
    return 'TextClassifier';
  }

  /** tokens [B, T] (padded at the end), lengths [B] → logits [B, classes]. */
  forward(tokens: Tensor, lengths: Tensor): Tensor {
    return tidy(() => {
      const packed = packPaddedSequence(this.embedding.forward(tokens), lengths, {
        batchFirst: true,
        enforceSorted: false,
      });
      const { hN } = this.lstm.forward(packed); // [2, B, H]: forward direction, then backward
      const last = (d: number) => squeeze(slice(hN, [d, 0, 0], [1, -1, -1]), 0);
      return this.head.forward(concat([last(0), last(1)], -1));
    });
  }
}
