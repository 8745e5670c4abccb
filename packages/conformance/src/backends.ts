import { JsBackend } from '@recur/backend-js';
import type { Backend } from '@recur/tensor';

/** Every backend the suite runs against. Adding a backend is one line here. */
export const BACKENDS: { name: string; create: () => Backend }[] = [{ name: 'js', create: () => new JsBackend() }];
