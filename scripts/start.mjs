// `npm start`: runs the compiled service (dist/main.js) in this process. Builds dist/ first when it is
// missing or older than src/ (a fresh clone, an edited file); without the TypeScript compiler (installed
// with --omit=dev) and without an up-to-date dist/, runs the sources through tsx's loader instead.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, canBuild, DIST, isStale, ROOT } from './build.mjs';

let entry = join(DIST, 'main.js');
if (isStale()) {
  if (canBuild()) {
    process.stderr.write('npm start: src/ changed since the last build, compiling to dist/ …\n');
    const ms = build();
    process.stderr.write(`npm start: compiled in ${(ms / 1000).toFixed(1)} s\n`);
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    entry = join(ROOT, 'src', 'main.ts');
  }
}
await import(pathToFileURL(entry).href);
