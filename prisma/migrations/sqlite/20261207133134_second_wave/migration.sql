-- AlterTable
ALTER TABLE "Activity" ADD COLUMN "attendance" INTEGER;
ALTER TABLE "Activity" ADD COLUMN "budgetWan" REAL;
ALTER TABLE "Activity" ADD COLUMN "costWan" REAL;
ALTER TABLE "Activity" ADD COLUMN "held" BOOLEAN;
ALTER TABLE "Activity" ADD COLUMN "heldOn" DATETIME;
ALTER TABLE "Activity" ADD COLUMN "recordedAt" DATETIME;
ALTER TABLE "Activity" ADD COLUMN "recordedBy" TEXT;
ALTER TABLE "Activity" ADD COLUMN "resultNote" TEXT;

-- AlterTable
ALTER TABLE "Lead" ADD COLUMN "cardMessageAt" DATETIME;
ALTER TABLE "Lead" ADD COLUMN "cardMessageId" TEXT;
ALTER TABLE "Lead" ADD COLUMN "carrierId" INTEGER;
ALTER TABLE "Lead" ADD COLUMN "referrer" TEXT;
ALTER TABLE "Lead" ADD COLUMN "referrerType" TEXT;

-- CreateTable
CREATE TABLE "Problem" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "leadId" INTEGER NOT NULL,
    "category" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "ownerDept" TEXT NOT NULL,
    "dueDate" DATETIME NOT NULL,
    "raisedBy" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'open',
    "answer" TEXT,
    "answeredBy" TEXT,
    "answeredAt" DATETIME,
    "solvedBy" TEXT,
    "solvedAt" DATETIME,
    "version" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Problem_leadId_fkey" FOREIGN KEY ("leadId") REFERENCES "Lead" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Carrier" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "town" TEXT NOT NULL,
    "buildMode" TEXT,
    "direction" TEXT,
    "level" TEXT,
    "areaSqm" REAL,
    "usedSqm" REAL,
    "tenants" JSONB,
    "chains" JSONB,
    "year" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Expert" (
    "userId" TEXT NOT NULL PRIMARY KEY,
    "fields" JSONB NOT NULL,
    "companies" JSONB NOT NULL,
    "towns" JSONB NOT NULL,
    "addedBy" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "PanelSheet" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "leadId" INTEGER NOT NULL,
    "stepId" INTEGER NOT NULL,
    "expertId" TEXT NOT NULL,
    "lines" JSONB NOT NULL,
    "total" REAL NOT NULL,
    "pass" BOOLEAN NOT NULL,
    "comment" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "LeadMeeting" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "leadId" INTEGER NOT NULL,
    "stepId" INTEGER NOT NULL,
    "meetingDate" TEXT NOT NULL,
    "attendees" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "minutes" TEXT,
    "recordedBy" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "LeadReport" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "leadId" INTEGER NOT NULL,
    "fileKey" TEXT NOT NULL,
    "fileName" TEXT NOT NULL,
    "uploadedBy" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

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

-- CreateIndex
CREATE INDEX "Problem_status_dueDate_idx" ON "Problem"("status", "dueDate");

-- CreateIndex
CREATE INDEX "Problem_solvedAt_idx" ON "Problem"("solvedAt");

-- CreateIndex
CREATE INDEX "Problem_leadId_idx" ON "Problem"("leadId");

-- CreateIndex
CREATE UNIQUE INDEX "Carrier_name_key" ON "Carrier"("name");

-- CreateIndex
CREATE INDEX "Carrier_town_idx" ON "Carrier"("town");

-- CreateIndex
CREATE INDEX "Carrier_year_idx" ON "Carrier"("year");

-- CreateIndex
CREATE INDEX "PanelSheet_leadId_idx" ON "PanelSheet"("leadId");

-- CreateIndex
CREATE UNIQUE INDEX "PanelSheet_stepId_expertId_key" ON "PanelSheet"("stepId", "expertId");

-- CreateIndex
CREATE INDEX "LeadMeeting_leadId_idx" ON "LeadMeeting"("leadId");

-- CreateIndex
CREATE INDEX "LeadReport_leadId_idx" ON "LeadReport"("leadId");

-- CreateIndex
CREATE INDEX "Lead_referrer_idx" ON "Lead"("referrer");
