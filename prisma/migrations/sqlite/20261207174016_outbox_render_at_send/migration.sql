-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_OutboxMessage" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "uuid" TEXT NOT NULL,
    "op" TEXT NOT NULL,
    "receiveIdType" TEXT,
    "receiveId" TEXT,
    "msgType" TEXT NOT NULL,
    "content" TEXT,
    "render" TEXT,
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
INSERT INTO "new_OutboxMessage" ("attempts", "content", "createdAt", "id", "lastError", "lockedUntil", "messageId", "msgType", "nextAttemptAt", "op", "receiveId", "receiveIdType", "refId", "refType", "sentAt", "status", "targetId", "uuid") SELECT "attempts", "content", "createdAt", "id", "lastError", "lockedUntil", "messageId", "msgType", "nextAttemptAt", "op", "receiveId", "receiveIdType", "refId", "refType", "sentAt", "status", "targetId", "uuid" FROM "OutboxMessage";
DROP TABLE "OutboxMessage";
ALTER TABLE "new_OutboxMessage" RENAME TO "OutboxMessage";
CREATE UNIQUE INDEX "OutboxMessage_uuid_key" ON "OutboxMessage"("uuid");
CREATE INDEX "OutboxMessage_status_nextAttemptAt_idx" ON "OutboxMessage"("status", "nextAttemptAt");
CREATE INDEX "OutboxMessage_refType_refId_idx" ON "OutboxMessage"("refType", "refId");
CREATE INDEX "OutboxMessage_receiveId_idx" ON "OutboxMessage"("receiveId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
