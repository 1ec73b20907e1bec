-- AlterTable
ALTER TABLE "FollowUp" ADD COLUMN     "inventionPatents" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "investmentArrivedWan" DOUBLE PRECISION,
ADD COLUMN     "problems" TEXT,
ADD COLUMN     "stage" TEXT,
ADD COLUMN     "utilityModels" INTEGER NOT NULL DEFAULT 0;

-- CreateIndex
CREATE INDEX "FollowUp_period_idx" ON "FollowUp"("period");
