export function derivePostgresSchema(sqliteSchema: string): string;
export const postgresSchemaPath: string;
