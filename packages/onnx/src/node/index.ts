/** Node-only parts of @recur/onnx: models and their external data read from disk. */
export { externalDataReader, loadOnnxFile } from './load-file';
