-- DropIndex
DROP INDEX "Lead_submitterId_idx";

-- CreateIndex
CREATE INDEX "Lead_submitterId_id_idx" ON "Lead"("submitterId", "id");
