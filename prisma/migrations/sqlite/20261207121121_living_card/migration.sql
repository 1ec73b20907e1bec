-- AlterTable
ALTER TABLE "Lead" ADD COLUMN "cardMessageAt" DATETIME;
ALTER TABLE "Lead" ADD COLUMN "cardMessageId" TEXT;
