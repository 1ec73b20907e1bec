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
ALTER TABLE "Lead" ADD COLUMN     "referrer" TEXT,
ADD COLUMN     "referrerType" TEXT;

-- CreateIndex
CREATE INDEX "Lead_referrer_idx" ON "Lead"("referrer");
