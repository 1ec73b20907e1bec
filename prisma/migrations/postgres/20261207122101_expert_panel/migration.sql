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
CREATE INDEX "PanelSheet_leadId_idx" ON "PanelSheet"("leadId");

-- CreateIndex
CREATE UNIQUE INDEX "PanelSheet_stepId_expertId_key" ON "PanelSheet"("stepId", "expertId");

-- CreateIndex
CREATE INDEX "LeadMeeting_leadId_idx" ON "LeadMeeting"("leadId");

-- CreateIndex
CREATE INDEX "LeadReport_leadId_idx" ON "LeadReport"("leadId");
