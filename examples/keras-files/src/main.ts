import { FILES, runFile } from './files';

for (const [model, caseFile, format, saveAs] of FILES)
  await runFile(model, caseFile, format, saveAs, (l) => console.log(l));
