export { type CrossEntropyOptions, crossEntropy, type Reduction } from './losses/cross-entropy';
