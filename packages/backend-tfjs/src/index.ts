export { TfjsBackend, type TfjsBackendOptions, type TfjsTensor } from './tfjs-backend';
