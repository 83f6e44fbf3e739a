import type { Dialect, SqlValue } from './dialect.js';

/**
 * One SQL statement, written once for both dialects with named parameters: `:scope_id`, or
 * `:counter::bigint` where PostgreSQL cannot infer the type. The name identifies its prepared form.
 * Define statements once, as module constants: a database compiles and prepares each one once.
 */
export interface Statement {
  readonly name: string;
  readonly sql: string | ((dialect: Dialect) => string);
}

/** A statement's named parameters: snake_case names, as the columns they usually fill. */
export type Params = Readonly<Record<string, SqlValue | undefined>>;

/** A statement as one dialect runs it: its text and the parameter names in binding order. */
export interface Compiled {
  readonly name: string;
  readonly text: string;
  readonly parameters: readonly string[];
}

export function statement(name: string, sql: Statement['sql']): Statement {
  return { name, sql };
}

// `::` casts of PostgreSQL (`count(*)::int`) and `:` inside words are not parameters.
const parameterPattern = /(?<![:\w]):([a-z_][a-z0-9_]*)(?:::([a-z]+))?/g;

export function compile(statement: Statement, dialect: Dialect): Compiled {
  const source = typeof statement.sql === 'string' ? statement.sql : statement.sql(dialect);
  const parameters: string[] = [];
  const text = source.replace(parameterPattern, (_, name: string, type: string | undefined) => {
    const cast = dialect.casts && type !== undefined ? `::${type}` : '';
    if (!dialect.numberedParameters) {
      parameters.push(name);
      return `?${cast}`;
    }
    const seen = parameters.indexOf(name);
    return `$${seen >= 0 ? seen + 1 : parameters.push(name)}${cast}`;
  });
  return { name: statement.name, text, parameters };
}

/** The values of a compiled statement, in order; a missing one is a caller bug, not a NULL. */
export function bind(compiled: Compiled, params: Params, dialect: Dialect): SqlValue[] {
  return compiled.parameters.map((name) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`statement ${compiled.name} needs :${name}`);
    return dialect.bind(value);
  });
}
