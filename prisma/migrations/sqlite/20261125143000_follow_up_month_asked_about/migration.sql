-- 一月一报 follow-ups are filed under the month they ask about: the month before the one they are sent in.
-- Rows written before this change carry the month they were sent in, so each moves back one month (through a
-- marked value first, so that no row meets its neighbour's old value under the unique keys).
UPDATE "FollowUp" SET "period" = 'shift:' || strftime('%Y-%m', "period" || '-01', '-1 month');
UPDATE "FollowUp" SET "period" = substr("period", 7) WHERE "period" LIKE 'shift:%';
UPDATE "JobRun" SET "period" = 'shift:' || strftime('%Y-%m', "period" || '-01', '-1 month') WHERE "job" = 'follow-ups';
UPDATE "JobRun" SET "period" = substr("period", 7) WHERE "job" = 'follow-ups' AND "period" LIKE 'shift:%';
