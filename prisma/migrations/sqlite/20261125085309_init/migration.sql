-- CreateTable
CREATE TABLE "User" (
    "openId" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "RoleGrant" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "userId" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "town" TEXT,
    "grantedBy" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "Lead" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
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
    "investmentWan" REAL,
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
    "score" REAL,
    "tier" TEXT,
    "scoreReasons" JSONB,
    "stage" TEXT,
    "approvedAt" DATETIME,
    "closedAt" DATETIME,
    "version" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "LeadSequence" (
    "year" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "last" INTEGER NOT NULL DEFAULT 0
);

-- CreateTable
CREATE TABLE "ApprovalStep" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "leadId" INTEGER NOT NULL,
    "round" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "step" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "startedAt" DATETIME,
    "decidedAt" DATETIME,
    "decidedBy" TEXT,
    "lastRemindedAt" DATETIME,
    "version" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ApprovalStep_leadId_fkey" FOREIGN KEY ("leadId") REFERENCES "Lead" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "StepAssignee" (
    "stepId" INTEGER NOT NULL,
    "userId" TEXT NOT NULL,
    "decision" TEXT,
    "comment" TEXT,
    "decidedAt" DATETIME,
    "transferredFrom" TEXT,
    "active" BOOLEAN NOT NULL DEFAULT true,

    PRIMARY KEY ("stepId", "userId"),
    CONSTRAINT "StepAssignee_stepId_fkey" FOREIGN KEY ("stepId") REFERENCES "ApprovalStep" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "LeadStage" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "leadId" INTEGER NOT NULL,
    "stage" TEXT NOT NULL,
    "date" DATETIME NOT NULL,
    "data" JSONB,
    "actorId" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "LeadStage_leadId_fkey" FOREIGN KEY ("leadId") REFERENCES "Lead" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "FollowUp" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "leadId" INTEGER NOT NULL,
    "period" TEXT NOT NULL,
    "sentAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "answeredAt" DATETIME,
    "answer" TEXT,
    "note" TEXT
);

-- CreateTable
CREATE TABLE "LeadDraft" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "userId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "values" JSONB NOT NULL,
    "leadId" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "actorId" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "role" TEXT,
    "leadId" INTEGER,
    "stepId" INTEGER,
    "comment" TEXT,
    "data" JSONB,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "Subscription" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "chatId" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "filter" TEXT NOT NULL DEFAULT '',
    "createdBy" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "Quota" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "year" INTEGER NOT NULL,
    "town" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "target" INTEGER NOT NULL,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Activity" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "year" INTEGER NOT NULL,
    "seq" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "timeText" TEXT NOT NULL,
    "month" INTEGER,
    "date" DATETIME,
    "allYear" BOOLEAN NOT NULL DEFAULT false,
    "organizer" TEXT
);

-- CreateTable
CREATE TABLE "JobRun" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "job" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "Lease" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "holder" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "OutboxMessage" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
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
    "nextAttemptAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lockedUntil" DATETIME,
    "lastError" TEXT,
    "messageId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" DATETIME
);

-- CreateTable
CREATE TABLE "ProcessedEvent" (
    "eventId" TEXT NOT NULL PRIMARY KEY,
    "eventType" TEXT NOT NULL,
    "payload" TEXT,
    "response" TEXT,
    "status" TEXT NOT NULL DEFAULT 'received',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lockedUntil" DATETIME,
    "receivedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "doneAt" DATETIME
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
