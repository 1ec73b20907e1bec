// Prisma CLI configuration. The native schema engine cannot be downloaded on our machines and is not
// needed: `prisma generate` is WASM, and migrations are created and applied by scripts/db.ts with the
// WASM schema engine and our own runner (see README "Database").
import { defineConfig } from 'prisma/config';

process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= '/bin/false';

export default defineConfig({
  schema: 'prisma/schema.prisma',
});
