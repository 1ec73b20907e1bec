-- AlterTable
ALTER TABLE "Lead" ADD COLUMN "carrierId" INTEGER;

-- CreateTable
CREATE TABLE "Carrier" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "town" TEXT NOT NULL,
    "buildMode" TEXT,
    "direction" TEXT,
    "level" TEXT,
    "areaSqm" REAL,
    "usedSqm" REAL,
    "tenants" JSONB,
    "chains" JSONB,
    "year" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE UNIQUE INDEX "Carrier_name_key" ON "Carrier"("name");

-- CreateIndex
CREATE INDEX "Carrier_town_idx" ON "Carrier"("town");

-- CreateIndex
CREATE INDEX "Carrier_year_idx" ON "Carrier"("year");
