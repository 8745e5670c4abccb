/** The Keras names for the losses, for people arriving from Keras. */
export { crossEntropy as sparseCategoricalCrossentropy } from './cross-entropy';
export { binaryCrossEntropy as binaryCrossentropy, mse as meanSquaredError } from './regression';
