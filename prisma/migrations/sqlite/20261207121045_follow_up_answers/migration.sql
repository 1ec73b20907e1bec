-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_FollowUp" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "leadId" INTEGER NOT NULL,
    "period" TEXT NOT NULL,
    "sentAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "answeredAt" DATETIME,
    "answer" TEXT,
    "note" TEXT,
    "stage" TEXT,
    "investmentArrivedWan" REAL,
    "inventionPatents" INTEGER NOT NULL DEFAULT 0,
    "utilityModels" INTEGER NOT NULL DEFAULT 0,
    "problems" TEXT
);
INSERT INTO "new_FollowUp" ("answer", "answeredAt", "id", "leadId", "note", "period", "sentAt") SELECT "answer", "answeredAt", "id", "leadId", "note", "period", "sentAt" FROM "FollowUp";
DROP TABLE "FollowUp";
ALTER TABLE "new_FollowUp" RENAME TO "FollowUp";
CREATE INDEX "FollowUp_period_idx" ON "FollowUp"("period");
CREATE UNIQUE INDEX "FollowUp_leadId_period_key" ON "FollowUp"("leadId", "period");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
