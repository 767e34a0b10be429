/**
 * The seam between the storage's queries, written once, and the two databases. An operation is a
 * generator that yields the statements it needs and receives their results: SQLite runs it
 * synchronously (inside one of its transactions, so group commit keeps working), PostgreSQL awaits
 * each statement on a pooled client. SQL is written with `?` placeholders in the subset both
 * databases share (ON CONFLICT, RETURNING, CASE; no dialect functions).
 */

export type Statement =
  | { kind: 'all' | 'one' | 'run'; sql: string; params: readonly unknown[] }
  /** An exclusive lock held to the end of the transaction (PostgreSQL; SQLite writes one at a time anyway). */
  | { kind: 'lock'; key: number };

/** What a `run` statement reports. */
export interface RunResult {
  changes: number;
}

export type Op<T> = Generator<Statement, T, unknown>;

export function* all<R>(sql: string, ...params: unknown[]): Op<R[]> {
  return (yield { kind: 'all', sql, params }) as R[];
}

export function* one<R>(sql: string, ...params: unknown[]): Op<R | undefined> {
  return (yield { kind: 'one', sql, params }) as R | undefined;
}

export function* run(sql: string, ...params: unknown[]): Op<RunResult> {
  return (yield { kind: 'run', sql, params }) as RunResult;
}

export function* lock(key: number): Op<void> {
  yield { kind: 'lock', key };
}

/** Executes one statement and gives back its result, synchronously or not. */
export type Executor<R> = (s: Statement) => R;

export function runSync<T>(op: Op<T>, exec: Executor<unknown>): T {
  let step = op.next();
  while (!step.done) step = op.next(exec(step.value));
  return step.value;
}

export async function runAsync<T>(op: Op<T>, exec: Executor<Promise<unknown>>): Promise<T> {
  let step = op.next();
  while (!step.done) step = op.next(await exec(step.value));
  return step.value;
}

/** `?` placeholders as PostgreSQL's `$1, $2, …` (no statement of ours has a `?` inside a literal). */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
