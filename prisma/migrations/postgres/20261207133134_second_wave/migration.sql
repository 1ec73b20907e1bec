-- AlterTable
ALTER TABLE "Activity" ADD COLUMN     "attendance" INTEGER,
ADD COLUMN     "budgetWan" DOUBLE PRECISION,
ADD COLUMN     "costWan" DOUBLE PRECISION,
ADD COLUMN     "held" BOOLEAN,
ADD COLUMN     "heldOn" TIMESTAMP(3),
ADD COLUMN     "recordedAt" TIMESTAMP(3),
ADD COLUMN     "recordedBy" TEXT,
ADD COLUMN     "resultNote" TEXT;

-- AlterTable
ALTER TABLE "FollowUp" ADD COLUMN     "inventionPatents" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "investmentArrivedWan" DOUBLE PRECISION,
ADD COLUMN     "problems" TEXT,
ADD COLUMN     "stage" TEXT,
ADD COLUMN     "utilityModels" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "Lead" ADD COLUMN     "cardMessageAt" TIMESTAMP(3),
ADD COLUMN     "cardMessageId" TEXT,
ADD COLUMN     "carrierId" INTEGER,
ADD COLUMN     "referrer" TEXT,
ADD COLUMN     "referrerType" TEXT;

-- CreateTable
CREATE TABLE "Problem" (
    "id" SERIAL NOT NULL,
    "leadId" INTEGER NOT NULL,
    "category" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "ownerDept" TEXT NOT NULL,
    "dueDate" TIMESTAMP(3) NOT NULL,
    "raisedBy" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'open',
    "answer" TEXT,
    "answeredBy" TEXT,
    "answeredAt" TIMESTAMP(3),
    "solvedBy" TEXT,
    "solvedAt" TIMESTAMP(3),
    "version" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Problem_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Carrier" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "town" TEXT NOT NULL,
    "buildMode" TEXT,
    "direction" TEXT,
    "level" TEXT,
    "areaSqm" DOUBLE PRECISION,
    "usedSqm" DOUBLE PRECISION,
    "tenants" JSONB,
    "chains" JSONB,
    "year" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Carrier_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Expert" (
    "userId" TEXT NOT NULL,
    "fields" JSONB NOT NULL,
    "companies" JSONB NOT NULL,
    "towns" JSONB NOT NULL,
    "addedBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Expert_pkey" PRIMARY KEY ("userId")
);

-- CreateTable
CREATE TABLE "PanelSheet" (
    "id" SERIAL NOT NULL,
    "leadId" INTEGER NOT NULL,
    "stepId" INTEGER NOT NULL,
    "expertId" TEXT NOT NULL,
    "lines" JSONB NOT NULL,
    "total" DOUBLE PRECISION NOT NULL,
    "pass" BOOLEAN NOT NULL,
    "comment" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PanelSheet_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LeadMeeting" (
    "id" SERIAL NOT NULL,
    "leadId" INTEGER NOT NULL,
    "stepId" INTEGER NOT NULL,
    "meetingDate" TEXT NOT NULL,
    "attendees" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "minutes" TEXT,
    "recordedBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LeadMeeting_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LeadReport" (
    "id" SERIAL NOT NULL,
    "leadId" INTEGER NOT NULL,
    "fileKey" TEXT NOT NULL,
    "fileName" TEXT NOT NULL,
    "uploadedBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LeadReport_pkey" PRIMARY KEY ("id")
);

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
CREATE INDEX "FollowUp_period_idx" ON "FollowUp"("period");

-- CreateIndex
CREATE INDEX "Lead_referrer_idx" ON "Lead"("referrer");

-- AddForeignKey
ALTER TABLE "Problem" ADD CONSTRAINT "Problem_leadId_fkey" FOREIGN KEY ("leadId") REFERENCES "Lead"("id") ON DELETE CASCADE ON UPDATE CASCADE;
