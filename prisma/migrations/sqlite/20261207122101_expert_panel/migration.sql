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

-- CreateIndex
CREATE INDEX "PanelSheet_leadId_idx" ON "PanelSheet"("leadId");

-- CreateIndex
CREATE UNIQUE INDEX "PanelSheet_stepId_expertId_key" ON "PanelSheet"("stepId", "expertId");

-- CreateIndex
CREATE INDEX "LeadMeeting_leadId_idx" ON "LeadMeeting"("leadId");

-- CreateIndex
CREATE INDEX "LeadReport_leadId_idx" ON "LeadReport"("leadId");
