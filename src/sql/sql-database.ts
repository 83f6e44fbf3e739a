import type { Dialect, SqlValue } from './dialect.js';
import { bind, compile, statement, type Compiled, type Params, type Statement } from './statement.js';
import { encode, type NewRow, type Row, type Table } from './table.js';

export type { Row } from './table.js';

/** Runs statements: on the database, or inside one of its transactions. */
export interface SqlExecutor {
  /** The rows the statement returns. */
  all(statement: Statement, params?: Params): Promise<Row[]>;
  /** Runs a change; how many rows it changed. */
  run(statement: Statement, params?: Params): Promise<number>;
}

/**
 * A change another write depends on, made in the same transaction: when it changes no row, nothing
 * of that write is made (an invite redeemed by the account it lets in).
 */
export interface Claim {
  readonly statement: Statement;
  readonly params: Params;
}

/** Rows for one table, encoded: what a write carries along (see SqlDatabase.run). */
export interface Insert {
  /** The table's one-row INSERT, for dialects that write row by row. */
  readonly statement: Statement;
  readonly table: string;
  readonly columns: readonly string[];
  /** PostgreSQL's type of each column, for rows it must read from a VALUES list. */
  readonly types: readonly string[];
  readonly rows: ReadonlyArray<Record<string, SqlValue>>;
}

export function rowsOf<T>(table: Table<T>, rows: ReadonlyArray<NewRow<T>>): Insert {
  return {
    statement: table.insert,
    table: table.name,
    columns: table.names,
    types: table.types,
    rows: rows.map((row) => encode(table, row)),
  };
}

/**
 * One SQL database, PostgreSQL or SQLite. Statements are compiled once per instance; writes that
 * must not be split (a change and its audit rows; an account with its first passkey) are one
 * statement where the dialect allows it, one transaction otherwise.
 */
export interface SqlDatabase extends SqlExecutor {
  readonly dialect: Dialect;
  /**
   * Runs a change and, only when it changed a row, inserts `also` (rows of one or more tables) with
   * it: all or nothing. Positive when it changed a row.
   */
  run(statement: Statement, params?: Params, also?: Insert | readonly Insert[]): Promise<number>;
  /** Inserts every row of every table: all or none. */
  insertAll(inserts: readonly Insert[]): Promise<void>;
  /**
   * `work` in one transaction, which it must use for every statement. `serialize` names a kind of
   * write that waits for every other of its kind to commit first, across processes.
   */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>, options?: { serialize?: string }): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What a backend provides; everything else is written once, here. */
export interface SqlDriver {
  readonly dialect: Dialect;
  execute(compiled: Compiled, values: SqlValue[]): Promise<{ rows: Row[]; changes: number }>;
  transaction<T>(work: (execute: SqlDriver['execute']) => Promise<T>, serialize: string | undefined): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function sqlDatabase(driver: SqlDriver): SqlDatabase {
  const { dialect } = driver;
  // Per instance: compiled text, and the statements built for writes that carry rows along.
  const compiled = new Map<Statement, Compiled>();
  const built = new Map<string, Statement>();
  const once = (name: string, sql: () => string): Statement => {
    let found = built.get(name);
    if (found === undefined) built.set(name, (found = statement(name, sql())));
    return found;
  };
  const compiledOf = (target: Statement): Compiled => {
    let c = compiled.get(target);
    if (c === undefined) compiled.set(target, (c = compile(target, dialect)));
    return c;
  };
  const executor = (execute: SqlDriver['execute']): SqlExecutor => {
    const exec = (target: Statement, params: Params) => {
      const c = compiledOf(target);
      return execute(c, bind(c, params, dialect));
    };
    return {
      all: async (target, params = {}) => (await exec(target, params)).rows,
      run: async (target, params = {}) => (await exec(target, params)).changes,
    };
  };
  const direct = executor((c, values) => driver.execute(c, values));
  const transaction = <T>(work: (tx: SqlExecutor) => Promise<T>, serialize?: string) =>
    driver.transaction((execute) => work(executor(execute)), serialize);

  return {
    dialect,
    all: (target, params) => direct.all(target, params),
    async run(target, params = {}, also) {
      const inserts = (also === undefined ? [] : 'rows' in also ? [also] : also).filter((insert) => insert.rows.length > 0);
      if (inserts.length === 0) return direct.run(target, params);
      if (!dialect.oneStatementWrites) {
        return transaction(async (tx) => {
          const changes = await tx.run(target, params);
          if (changes > 0) for (const insert of inserts) for (const row of insert.rows) await tx.run(insert.statement, row);
          return changes;
        });
      }
      // The rows are inserted once per changed row: written only when the change happened. The
      // statement's count is the last INSERT's, positive exactly when the change happened.
      const shape = inserts.map((insert) => `${insert.table}_${insert.rows.length}`).join('_');
      const changedAnd = once(`${target.name}_and_${shape}`, () => {
        const source = typeof target.sql === 'string' ? target.sql : target.sql(dialect);
        const parts = inserts.map(
          (insert) => `INSERT INTO ${insert.table} (${insert.columns.join(', ')}) SELECT v.* FROM changed CROSS JOIN (VALUES ${valueLists(insert, true)}) AS v`,
        );
        const last = parts.pop()!;
        return `WITH changed AS (${source} RETURNING 1)${parts.map((part, i) => `, w${i} AS (${part})`).join('')} ${last}`;
      });
      // Bound positionally: the change's own parameters come first in the text, then the rows'.
      const c = compiledOf(changedAnd);
      const values = valuesOf(inserts, dialect);
      const head = bind({ ...c, parameters: c.parameters.slice(0, c.parameters.length - values.length) }, params, dialect);
      return (await driver.execute(c, [...head, ...values])).changes;
    },
    async insertAll(inserts) {
      if (!dialect.oneStatementWrites) {
        await transaction(async (tx) => {
          for (const insert of inserts) for (const row of insert.rows) await tx.run(insert.statement, row);
        });
        return;
      }
      // One statement: one round trip and one commit. Foreign keys are checked at its end.
      const name = `insert_${inserts.map((insert) => `${insert.table}_${insert.rows.length}`).join('_')}`;
      const all = once(name, () => {
        const parts = inserts.map((insert) => `INSERT INTO ${insert.table} (${insert.columns.join(', ')}) VALUES ${valueLists(insert, false)}`);
        const last = parts.pop()!;
        return parts.length === 0 ? last : `WITH ${parts.map((part, i) => `w${i} AS (${part})`).join(', ')} ${last}`;
      });
      // Bound positionally, in the order valueLists wrote the parameters: no name per value to build and look up.
      const c = compiledOf(all);
      const values = valuesOf(inserts, dialect);
      if (values.length !== c.parameters.length) throw new TypeError(`statement ${c.name} needs ${c.parameters.length} values, got ${values.length}`);
      await driver.execute(c, values);
    },
    transaction: (work, options = {}) => transaction(work, options.serialize),
    ping: () => driver.ping(),
    close: () => driver.close(),
  };
}

/** `(:t_0_a, :t_0_b), (:t_1_a, …)`, typed where a VALUES list outside an INSERT leaves PostgreSQL guessing. */
function valueLists(insert: Insert, typed: boolean): string {
  return insert.rows
    .map((_, i) => `(${insert.columns.map((column, c) => `:${insert.table}_${i}_${column}${typed ? `::${insert.types[c]}` : ''}`).join(', ')})`)
    .join(', ');
}

/** Every row's values, table by table, row by row, column by column: the order of valueLists. */
function valuesOf(inserts: readonly Insert[], dialect: Dialect): SqlValue[] {
  const values: SqlValue[] = [];
  for (const insert of inserts) {
    for (const row of insert.rows) {
      for (const column of insert.columns) {
        const value = row[column];
        if (value === undefined) throw new TypeError(`insert into ${insert.table} needs ${column}`);
        values.push(dialect.bind(value));
      }
    }
  }
  return values;
}
