-- Trigram indexes for /find are PostgreSQL only (see the PostgreSQL migration of the same name). On SQLite
-- /find scans the leads table: 0.4 s at 100,000 leads (npm run bench:scale), within the target there.
SELECT 1;
