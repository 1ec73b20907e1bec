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

-- CreateIndex
CREATE INDEX "Problem_status_dueDate_idx" ON "Problem"("status", "dueDate");

-- CreateIndex
CREATE INDEX "Problem_solvedAt_idx" ON "Problem"("solvedAt");

-- CreateIndex
CREATE INDEX "Problem_leadId_idx" ON "Problem"("leadId");

-- AddForeignKey
ALTER TABLE "Problem" ADD CONSTRAINT "Problem_leadId_fkey" FOREIGN KEY ("leadId") REFERENCES "Lead"("id") ON DELETE CASCADE ON UPDATE CASCADE;
