// Loads Prisma's migration engine compiled to WASM (@prisma/schema-engine-wasm) and drives it with a
// driver adapter. Used only by `npm run db:migration` to compute migration SQL: the native engine
// binary cannot be downloaded on our machines (../shared/notes/prisma-offline.md).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';

const require = createRequire(import.meta.url);
let instances = 0;

export interface SchemaFile { path: string; content: string }
export interface WasmSchemaEngine {
  diff(params: unknown): Promise<{ exitCode: number; stdout: string | null }>;
  free(): void;
}

export async function loadSchemaEngine(adapterFactory: unknown, files: SchemaFile[]): Promise<WasmSchemaEngine> {
  (globalThis as Record<string, unknown>).PRISMA_WASM_PANIC_REGISTRY = {
    set_message(message: string) { console.error(`schema engine panicked: ${message}`); },
  };
  const pkgDir = dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg'));
  // A fresh module instance per engine: the glue caches views of the instance's memory.
  const bg = await import(`${pathToFileURL(join(pkgDir, 'schema_engine_bg.js')).href}?instance=${++instances}`);
  const bytes = readFileSync(join(pkgDir, 'schema_engine_bg.wasm'));
  const wasm = (globalThis as unknown as { WebAssembly: { instantiate(b: Uint8Array, imports: object): Promise<{ instance: { exports: unknown } }> } }).WebAssembly;
  const { instance } = await wasm.instantiate(bytes, { './schema_engine_bg.js': bg });
  bg.__wbg_set_wasm(instance.exports);
  (instance.exports as { __wbindgen_start: () => void }).__wbindgen_start();
  const adapter = bindMigrationAwareSqlAdapterFactory(adapterFactory as never);
  return bg.SchemaEngine.new({ datamodels: files.map((f) => [f.path, f.content]) }, () => {}, adapter);
}
