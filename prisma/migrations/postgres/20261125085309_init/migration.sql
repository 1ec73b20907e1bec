-- CreateTable
CREATE TABLE "User" (
    "openId" TEXT NOT NULL,
    "name" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "User_pkey" PRIMARY KEY ("openId")
);

-- CreateTable
CREATE TABLE "RoleGrant" (
    "id" SERIAL NOT NULL,
    "userId" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "town" TEXT,
    "grantedBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RoleGrant_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Lead" (
    "id" SERIAL NOT NULL,
    "code" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "projectName" TEXT NOT NULL,
    "companyName" TEXT,
    "companyNorm" TEXT,
    "creditCode" TEXT,
    "industry" TEXT,
    "town" TEXT NOT NULL,
    "sourceRegion" TEXT,
    "contactName" TEXT,
    "contactPhone" TEXT,
    "investmentWan" DOUBLE PRECISION,
    "summary" TEXT,
    "needsFund" BOOLEAN NOT NULL DEFAULT false,
    "details" JSONB,
    "inventionPatents" INTEGER NOT NULL DEFAULT 0,
    "utilityModels" INTEGER NOT NULL DEFAULT 0,
    "activityId" INTEGER,
    "submitterId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "round" INTEGER NOT NULL DEFAULT 1,
    "major" BOOLEAN NOT NULL DEFAULT false,
    "score" DOUBLE PRECISION,
    "tier" TEXT,
    "scoreReasons" JSONB,
    "stage" TEXT,
    "approvedAt" TIMESTAMP(3),
    "closedAt" TIMESTAMP(3),
    "version" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Lead_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LeadSequence" (
    "year" INTEGER NOT NULL,
    "last" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "LeadSequence_pkey" PRIMARY KEY ("year")
);

-- CreateTable
CREATE TABLE "ApprovalStep" (
    "id" SERIAL NOT NULL,
    "leadId" INTEGER NOT NULL,
    "round" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "step" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3),
    "decidedAt" TIMESTAMP(3),
    "decidedBy" TEXT,
    "lastRemindedAt" TIMESTAMP(3),
    "version" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ApprovalStep_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StepAssignee" (
    "stepId" INTEGER NOT NULL,
    "userId" TEXT NOT NULL,
    "decision" TEXT,
    "comment" TEXT,
    "decidedAt" TIMESTAMP(3),
    "transferredFrom" TEXT,
    "active" BOOLEAN NOT NULL DEFAULT true,

    CONSTRAINT "StepAssignee_pkey" PRIMARY KEY ("stepId","userId")
);

-- CreateTable
CREATE TABLE "LeadStage" (
    "id" SERIAL NOT NULL,
    "leadId" INTEGER NOT NULL,
    "stage" TEXT NOT NULL,
    "date" TIMESTAMP(3) NOT NULL,
    "data" JSONB,
    "actorId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LeadStage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "FollowUp" (
    "id" SERIAL NOT NULL,
    "leadId" INTEGER NOT NULL,
    "period" TEXT NOT NULL,
    "sentAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "answeredAt" TIMESTAMP(3),
    "answer" TEXT,
    "note" TEXT,

    CONSTRAINT "FollowUp_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LeadDraft" (
    "id" SERIAL NOT NULL,
    "userId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "values" JSONB NOT NULL,
    "leadId" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LeadDraft_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" SERIAL NOT NULL,
    "actorId" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "role" TEXT,
    "leadId" INTEGER,
    "stepId" INTEGER,
    "comment" TEXT,
    "data" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Subscription" (
    "id" SERIAL NOT NULL,
    "chatId" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "filter" TEXT NOT NULL DEFAULT '',
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Subscription_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Quota" (
    "id" SERIAL NOT NULL,
    "year" INTEGER NOT NULL,
    "town" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "target" INTEGER NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Quota_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Activity" (
    "id" SERIAL NOT NULL,
    "year" INTEGER NOT NULL,
    "seq" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "timeText" TEXT NOT NULL,
    "month" INTEGER,
    "date" TIMESTAMP(3),
    "allYear" BOOLEAN NOT NULL DEFAULT false,
    "organizer" TEXT,

    CONSTRAINT "Activity_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "JobRun" (
    "id" SERIAL NOT NULL,
    "job" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "JobRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Lease" (
    "name" TEXT NOT NULL,
    "holder" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Lease_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "OutboxMessage" (
    "id" SERIAL NOT NULL,
    "uuid" TEXT NOT NULL,
    "op" TEXT NOT NULL,
    "receiveIdType" TEXT,
    "receiveId" TEXT,
    "msgType" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "targetId" TEXT,
    "refType" TEXT,
    "refId" TEXT,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lockedUntil" TIMESTAMP(3),
    "lastError" TEXT,
    "messageId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMP(3),

    CONSTRAINT "OutboxMessage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProcessedEvent" (
    "eventId" TEXT NOT NULL,
    "eventType" TEXT NOT NULL,
    "payload" TEXT,
    "response" TEXT,
    "status" TEXT NOT NULL DEFAULT 'received',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lockedUntil" TIMESTAMP(3),
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "doneAt" TIMESTAMP(3),

    CONSTRAINT "ProcessedEvent_pkey" PRIMARY KEY ("eventId")
);

-- CreateIndex
CREATE INDEX "RoleGrant_role_idx" ON "RoleGrant"("role");

-- CreateIndex
CREATE UNIQUE INDEX "RoleGrant_userId_role_key" ON "RoleGrant"("userId", "role");

-- CreateIndex
CREATE UNIQUE INDEX "Lead_code_key" ON "Lead"("code");

-- CreateIndex
CREATE INDEX "Lead_town_status_idx" ON "Lead"("town", "status");

-- CreateIndex
CREATE INDEX "Lead_submitterId_idx" ON "Lead"("submitterId");

-- CreateIndex
CREATE INDEX "Lead_creditCode_idx" ON "Lead"("creditCode");

-- CreateIndex
CREATE INDEX "Lead_companyNorm_idx" ON "Lead"("companyNorm");

-- CreateIndex
CREATE INDEX "Lead_status_approvedAt_idx" ON "Lead"("status", "approvedAt");

-- CreateIndex
CREATE INDEX "Lead_createdAt_idx" ON "Lead"("createdAt");

-- CreateIndex
CREATE INDEX "ApprovalStep_status_startedAt_idx" ON "ApprovalStep"("status", "startedAt");

-- CreateIndex
CREATE UNIQUE INDEX "ApprovalStep_leadId_round_step_key" ON "ApprovalStep"("leadId", "round", "step");

-- CreateIndex
CREATE INDEX "StepAssignee_userId_active_idx" ON "StepAssignee"("userId", "active");

-- CreateIndex
CREATE INDEX "LeadStage_createdAt_idx" ON "LeadStage"("createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "LeadStage_leadId_stage_key" ON "LeadStage"("leadId", "stage");

-- CreateIndex
CREATE UNIQUE INDEX "FollowUp_leadId_period_key" ON "FollowUp"("leadId", "period");

-- CreateIndex
CREATE INDEX "LeadDraft_userId_idx" ON "LeadDraft"("userId");

-- CreateIndex
CREATE INDEX "AuditEvent_leadId_createdAt_idx" ON "AuditEvent"("leadId", "createdAt");

-- CreateIndex
CREATE INDEX "AuditEvent_action_createdAt_idx" ON "AuditEvent"("action", "createdAt");

-- CreateIndex
CREATE INDEX "Subscription_topic_idx" ON "Subscription"("topic");

-- CreateIndex
CREATE UNIQUE INDEX "Subscription_chatId_topic_filter_key" ON "Subscription"("chatId", "topic", "filter");

-- CreateIndex
CREATE UNIQUE INDEX "Quota_year_town_metric_key" ON "Quota"("year", "town", "metric");

-- CreateIndex
CREATE UNIQUE INDEX "Activity_year_seq_key" ON "Activity"("year", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "JobRun_job_period_target_key" ON "JobRun"("job", "period", "target");

-- CreateIndex
CREATE UNIQUE INDEX "OutboxMessage_uuid_key" ON "OutboxMessage"("uuid");

-- CreateIndex
CREATE INDEX "OutboxMessage_status_nextAttemptAt_idx" ON "OutboxMessage"("status", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "OutboxMessage_refType_refId_idx" ON "OutboxMessage"("refType", "refId");

-- CreateIndex
CREATE INDEX "OutboxMessage_receiveId_idx" ON "OutboxMessage"("receiveId");

-- CreateIndex
CREATE INDEX "ProcessedEvent_status_receivedAt_idx" ON "ProcessedEvent"("status", "receivedAt");

-- AddForeignKey
ALTER TABLE "ApprovalStep" ADD CONSTRAINT "ApprovalStep_leadId_fkey" FOREIGN KEY ("leadId") REFERENCES "Lead"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StepAssignee" ADD CONSTRAINT "StepAssignee_stepId_fkey" FOREIGN KEY ("stepId") REFERENCES "ApprovalStep"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LeadStage" ADD CONSTRAINT "LeadStage_leadId_fkey" FOREIGN KEY ("leadId") REFERENCES "Lead"("id") ON DELETE CASCADE ON UPDATE CASCADE;
