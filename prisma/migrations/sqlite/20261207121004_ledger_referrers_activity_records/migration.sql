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
ALTER TABLE "Lead" ADD COLUMN "referrer" TEXT;
ALTER TABLE "Lead" ADD COLUMN "referrerType" TEXT;

-- CreateIndex
CREATE INDEX "Lead_referrer_idx" ON "Lead"("referrer");
