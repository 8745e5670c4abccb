/** The preamble and exit policy recur's command-line tools (recur-onnx, recur-keras, recur-demo) share. */
export { exitWithError } from './exit-with-error';
export { cliProgram, runCli } from './program';
