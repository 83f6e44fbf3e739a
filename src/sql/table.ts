import type { SqlValue } from './dialect.js';
import { statement, type Statement } from './statement.js';

/** A row as a driver returns it: pg gives Date, boolean, bigint as text; better-sqlite3 text, 0/1, number. */
export type Row = Readonly<Record<string, unknown>>;

/** How one column's value travels between the domain and SQL. */
export interface Column<T> {
  /** The value to bind: timestamps canonical, arrays as JSON text; refuses a value of the wrong kind. */
  encode(value: T): SqlValue;
  /** The domain value from what either driver returns. */
  decode(value: unknown): T;
  /** PostgreSQL's type for a parameter of this column where it cannot infer one. */
  readonly type: 'text' | 'bigint' | 'boolean' | 'timestamptz';
}

export type Columns<T> = { readonly [K in keyof T]-?: Column<T[K]> };

/** A domain type's table: which column holds each field, and how. */
export interface Table<T> {
  readonly name: string;
  readonly columns: Columns<T>;
  readonly names: ReadonlyArray<keyof T & string>;
  /** PostgreSQL's type of each column, in the order of `names`. */
  readonly types: ReadonlyArray<Column<unknown>['type']>;
  /** INSERT of one row, every column from the parameter of its own name (see encode). */
  readonly insert: Statement;
}

export function table<T>(name: string, columns: Columns<T>): Table<T> {
  const names = Object.keys(columns) as Array<keyof T & string>;
  const insert = statement(`insert_${name}`, `INSERT INTO ${name} (${names.join(', ')}) VALUES (${names.map((column) => `:${column}`).join(', ')})`);
  return { name, columns, names, types: names.map((column) => columns[column].type), insert };
}

function column<T>(
  type: Column<T>['type'],
  check: (value: unknown) => value is T,
  decode: (value: unknown) => unknown = (value) => value,
  encode: (value: T) => SqlValue = (value) => value as SqlValue,
): Column<T> {
  // The message names the kind of value only: values may be usernames or other personal data.
  const checked = (value: unknown, direction: string): T => {
    if (!check(value)) throw new TypeError(`cannot ${direction} a ${value === null ? 'null' : typeof value} value as a ${type} column`);
    return value;
  };
  return { type, encode: (value) => encode(checked(value, 'store')), decode: (value) => checked(decode(value), 'read') };
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

export const text = column('text', isString);
export const integer = column('bigint', isNumber, (value) => (typeof value === 'number' ? value : Number(value)));
export const boolean = column('boolean', (value): value is boolean => typeof value === 'boolean', (value) => (value === 0 || value === 1 ? value === 1 : value));
/** Canonical ISO-8601 (`YYYY-MM-DDTHH:mm:ss.sssZ`) on both backends, whatever offset the caller used. */
export const timestamp = column('timestamptz', isString, (value) => (value instanceof Date ? value.toISOString() : value), (value) => {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new RangeError(`not an ISO-8601 timestamp: ${value}`);
  return date.toISOString();
});

export function oneOf<const V extends string>(values: readonly V[]): Column<V> {
  return column('text', (value): value is V => values.includes(value as V));
}

/** A JSON array in a text column; a hand-edited row fails loudly rather than leaking another shape. */
export function jsonArray<I>(isItem: (item: unknown) => boolean): Column<I[]> {
  const isArray = (value: unknown): value is I[] => Array.isArray(value) && value.every(isItem);
  return column('text', isArray, (value) => (typeof value === 'string' ? JSON.parse(value) : value), (value) => JSON.stringify(value));
}
export const strings = jsonArray<string>(isString);
export const numbers = jsonArray<number>(isNumber);

/** NULL in SQL; also what a field left out of a new row stores. */
export function nullable<T>(inner: Column<T>): Column<T | null> {
  return {
    type: inner.type,
    encode: (value) => (value === null || value === undefined ? null : inner.encode(value)),
    decode: (value) => (value === null ? null : inner.decode(value)),
  };
}

/** Text read as '' when NULL (accounts created before migration 2 have no key or address). */
export const textOrEmpty: Column<string> = { ...text, decode: (value) => (value === null ? '' : text.decode(value)) };

/**
 * A new row: fields of nullable columns may be left out (stored as NULL); any other left out is
 * refused when encoded, as a value of the wrong kind is.
 */
export type NewRow<T> = { readonly [K in keyof T]?: T[K] };

/** One field as its column binds it. */
export function encodeField<T, K extends keyof T>(table: Table<T>, name: K, value: T[K]): SqlValue {
  return table.columns[name].encode(value);
}

/** A row's columns as named parameters. */
export function encode<T>(table: Table<T>, value: NewRow<T>): Record<string, SqlValue> {
  const params: Record<string, SqlValue> = {};
  for (const name of table.names) params[name] = table.columns[name].encode(value[name] as T[typeof name]);
  return params;
}

/** A value from a row whose columns carry `prefix` (as `selectList` names them). */
export function decode<T>(table: Table<T>, row: Row, prefix = ''): T {
  const value: Partial<T> = {};
  for (const name of table.names) value[name] = table.columns[name].decode(row[prefix + name]);
  return value as T;
}

/** What reading `value` back would return: callers get that without a RETURNING round of mapping. */
export function canonical<T>(table: Table<T>, value: NewRow<T>): T {
  const result: Partial<T> = {};
  for (const name of table.names) {
    const column = table.columns[name];
    result[name] = column.decode(column.encode(value[name] as T[typeof name]));
  }
  return result as T;
}

/** `alias.column AS alias_column, …`: join-safe names for `decode(table, row, 'alias_')`. */
export function selectList<T>(table: Table<T>, alias: string): string {
  return table.names.map((name) => `${alias}.${name} AS ${alias}_${name}`).join(', ');
}

