/** A value a statement binds: what both drivers accept once the dialect has converted it. */
export type SqlValue = string | number | boolean | null;

/** A unique rule, by the name PostgreSQL reports and the columns SQLite reports (it names no constraint). */
export interface UniqueKey {
  name: string;
  table: string;
  columns: readonly string[];
}

/** What differs between PostgreSQL and SQLite, as data: statements, migrations and the layer are written once against it. */
export interface Dialect {
  readonly name: 'postgres' | 'sqlite';
  /** `$1`, `$2` (each name once) or `?` (one per occurrence). */
  readonly numberedParameters: boolean;
  /** Whether `:name::type` keeps its cast: PostgreSQL cannot infer every parameter's type, SQLite has no such syntax. */
  readonly casts: boolean;
  /** Column types: timestamps (SQLite: canonical ISO-8601 text, which sorts chronologically), and self-numbered keys. */
  readonly timestamp: string;
  readonly serialKey: string;
  /** The larger of two values; a row lock (SQLite's BEGIN IMMEDIATE holds the one write lock); byte-wise comparison (migration 6). */
  readonly greatest: string;
  readonly forUpdate: string;
  readonly bytewise: string;
  /** Whether a change and the rows that go with it can be one statement (data-modifying CTEs) rather than a transaction. */
  readonly oneStatementWrites: boolean;
  /** A parameter value as the driver binds it. */
  bind(value: SqlValue): SqlValue;
  violates(error: unknown, key: UniqueKey): boolean;
}

export const postgres: Dialect = {
  name: 'postgres',
  numberedParameters: true,
  casts: true,
  timestamp: 'timestamptz',
  serialKey: 'bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY',
  greatest: 'GREATEST',
  forUpdate: 'FOR UPDATE',
  bytewise: 'COLLATE "C"',
  oneStatementWrites: true,
  bind: (value) => value,
  // Duck-typed, so a second copy of pg (or pg-native) is recognised too.
  violates: (error, key) => field(error, 'code') === '23505' && field(error, 'constraint') === key.name,
};

export const sqlite: Dialect = {
  name: 'sqlite',
  numberedParameters: false,
  casts: false,
  timestamp: 'text',
  serialKey: 'integer PRIMARY KEY AUTOINCREMENT',
  greatest: 'max',
  forUpdate: '',
  bytewise: 'COLLATE BINARY',
  oneStatementWrites: false,
  // better-sqlite3 binds numbers, not booleans.
  bind: (value) => (typeof value === 'boolean' ? Number(value) : value),
  // "UNIQUE constraint failed: t.a, t.b". Duck-typed rather than instanceof SqliteError: the native
  // addon keeps the error class of the first copy of better-sqlite3 loaded, which module reloading breaks.
  violates: (error, key) => {
    const code = field(error, 'code');
    const message = field(error, 'message');
    return (
      (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') &&
      typeof message === 'string' &&
      message.includes(key.columns.map((column) => `${key.table}.${column}`).join(', '))
    );
  },
};

function field(error: unknown, name: string): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[name] : undefined;
}
