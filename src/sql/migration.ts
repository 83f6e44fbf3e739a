import type { Dialect } from './dialect.js';

/** One step of a schema, written once for both dialects. Append-only: never edit an applied one. */
export interface Migration {
  id: number;
  name: string;
  sql: (dialect: Dialect) => string;
}

/** Bookkeeping table of the applied migrations; created outside the numbered ones since it records them. */
export function schemaMigrationsTable(dialect: Dialect): string {
  return `CREATE TABLE IF NOT EXISTS schema_migrations (
  id         integer PRIMARY KEY,
  name       text NOT NULL,
  applied_at ${dialect.timestamp} NOT NULL
)`;
}
