import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';

const SENTINEL = '\u0000sv-param:';

/**
 * A query built and compiled once, then run with new parameter values: for the queries on every
 * request's path (the session lookup), where building and compiling cost more than running.
 * `build` receives `param(name)`, a placeholder to use wherever a value goes.
 */
export function compileOnce<DB, Params extends string, Row>(
  db: Kysely<DB>,
  build: (param: (name: Params) => string) => Compilable<Row>,
): (values: Record<Params, unknown>, executor?: Kysely<DB>) => Promise<QueryResult<Row>> {
  const compiled: CompiledQuery<Row> = build((name) => `${SENTINEL}${name}`).compile();
  const slots = compiled.parameters.map((value) =>
    typeof value === 'string' && value.startsWith(SENTINEL) ? (value.slice(SENTINEL.length) as Params) : null,
  );
  const constants = compiled.parameters;
  // `executor`: a transaction to run it in, instead of the handle it was built on.
  return (values, executor = db) =>
    executor.executeQuery<Row>({
      ...compiled,
      parameters: slots.map((slot, index) => (slot === null ? constants[index] : values[slot])),
    });
}
