-- AlterTable
ALTER TABLE "Lead" ADD COLUMN     "cardMessageAt" TIMESTAMP(3),
ADD COLUMN     "cardMessageId" TEXT;
