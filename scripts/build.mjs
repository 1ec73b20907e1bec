// `npm run build`: compiles src/ to dist/ with TypeScript (the same tree, `.ts` imports rewritten to `.js`)
// and copies the files the code reads next to itself (sandbox page and data, the import worker). `npm start`
// runs dist/ (scripts/start.mjs builds it first when src/ is newer): plain JavaScript starts faster and holds
// less memory than transpiling on the fly (issue 14: `npm start` to /healthz 5.4 s → 3.0 s, RSS of the
// process tree 435 → 255 MiB in the sandbox on this machine).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SRC = join(ROOT, 'src');
export const DIST = join(ROOT, 'dist');
export const STAMP = join(DIST, '.built');

/** Every file under dir (recursively). */
export function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

/** The newest modification time (ms) of any file under src/. */
export function newestSource() {
  let newest = 0;
  for (const file of walk(SRC)) newest = Math.max(newest, statSync(file).mtimeMs);
  return newest;
}

/** True when dist/ is missing or older than some file under src/. */
export function isStale() {
  try {
    return statSync(STAMP).mtimeMs < newestSource();
  } catch {
    return true;
  }
}

/** Whether the TypeScript compiler is installed (it is a devDependency). */
export function canBuild() {
  try {
    createRequire(import.meta.url).resolve('typescript/bin/tsc');
    return true;
  } catch {
    return false;
  }
}

export function build() {
  const started = Date.now();
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  rmSync(DIST, { recursive: true, force: true });
  execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
  for (const file of walk(SRC)) {
    if (file.endsWith('.ts')) continue;
    const target = join(DIST, relative(SRC, file));
    mkdirSync(dirname(target), { recursive: true });
    cpSync(file, target);
  }
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  return Date.now() - started;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!canBuild()) {
    // Installed without devDependencies: `npm start` runs the sources through tsx.
    console.log('build: TypeScript is not installed; npm start will run src/ through tsx');
    process.exit(0);
  }
  const ms = build();
  console.log(`build: src/ compiled to dist/ in ${(ms / 1000).toFixed(1)} s`);
}
