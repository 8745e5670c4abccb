export { TfjsBackend, type TfjsTensor } from './tfjs-backend';
