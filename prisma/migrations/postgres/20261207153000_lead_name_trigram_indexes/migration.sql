-- /find looks for a keyword anywhere in the project name, the company name and its normalised form
-- (LIKE '%…%'), which no b-tree index serves: at a million leads every search read the whole table (1.2 s).
-- pg_trgm's GIN indexes serve LIKE '%…%' for keywords of three characters or more (CJK characters count as
-- word characters under a UTF-8 ctype). They are not in prisma/schema.prisma (SQLite has no equivalent), so
-- this migration is the only place that knows them.
--
-- pg_trgm ships with PostgreSQL (contrib) and is a trusted extension since PostgreSQL 13: a database owner
-- may create it. Where it cannot be created (not installed, no privilege), the indexes are skipped with a
-- NOTICE and /find keeps working by scanning. The extension is created once per database, in `public`
-- unless it already lives elsewhere; the operator class is named with the schema it is in.
DO $$
DECLARE
  ext_schema text;
BEGIN
  BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
  EXCEPTION WHEN OTHERS THEN
    -- Another migrator created it at the same moment, or it is not available: look below.
    RAISE NOTICE 'CREATE EXTENSION pg_trgm: %', SQLERRM;
  END;
  SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
  IF ext_schema IS NULL THEN
    RAISE NOTICE 'pg_trgm is not available: /find will scan the Lead table';
    RETURN;
  END IF;
  EXECUTE format('CREATE INDEX IF NOT EXISTS "Lead_projectName_trgm_idx" ON "Lead" USING gin ("projectName" %I.gin_trgm_ops)', ext_schema);
  EXECUTE format('CREATE INDEX IF NOT EXISTS "Lead_companyName_trgm_idx" ON "Lead" USING gin ("companyName" %I.gin_trgm_ops)', ext_schema);
  EXECUTE format('CREATE INDEX IF NOT EXISTS "Lead_companyNorm_trgm_idx" ON "Lead" USING gin ("companyNorm" %I.gin_trgm_ops)', ext_schema);
END
$$;
