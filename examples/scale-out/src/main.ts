import { findTorchPython, scaleOut } from './scale-out';

// `pnpm start`: 20 recur steps, then 30 DDP steps on 2 processes (needs python3 with torch).
const python = findTorchPython();
if (!python) {
  console.error('python3 with torch is needed: apt-get install python3-torch (Debian) or pip install torch');
  process.exit(2);
}
const quick = process.argv.includes('--quick');
await scaleOut({ python, jsSteps: quick ? 3 : 20, ddpSteps: quick ? 3 : 30, processes: 2, log: console.log });
