export { OrtBackend } from './ort-backend';
export { compile, OrtModel, type OrtSessionOptions, release } from './ort-model';
