-- AlterTable
ALTER TABLE "Lead" ADD COLUMN     "carrierId" INTEGER;

-- CreateTable
CREATE TABLE "Carrier" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "town" TEXT NOT NULL,
    "buildMode" TEXT,
    "direction" TEXT,
    "level" TEXT,
    "areaSqm" DOUBLE PRECISION,
    "usedSqm" DOUBLE PRECISION,
    "tenants" JSONB,
    "chains" JSONB,
    "year" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Carrier_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Carrier_name_key" ON "Carrier"("name");

-- CreateIndex
CREATE INDEX "Carrier_town_idx" ON "Carrier"("town");

-- CreateIndex
CREATE INDEX "Carrier_year_idx" ON "Carrier"("year");
