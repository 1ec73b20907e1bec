-- AlterTable
ALTER TABLE "OutboxMessage" ADD COLUMN     "render" TEXT,
ALTER COLUMN "content" DROP NOT NULL;
