-- CreateIndex
CREATE INDEX "LeadStage_stage_date_idx" ON "LeadStage"("stage", "date");
