/**
 * Lets TypeORM's PostgreSQL driver run on PGlite (embedded, WASM PostgreSQL) by posing as the
 * `pg` module: `{ Pool }` with `connect`/`query`/`end`.
 *
 * PGlite is a single connection, so the pool hands out that connection exclusively: a caller
 * holds it from `connect` until `release`, which keeps a TypeORM transaction from interleaving
 * with other queries. Results are reshaped to what `pg` returns (`rowCount`, `command`) because
 * TypeORM reads affected-row counts from them. Code must not open a second query runner while
 * holding one (it would wait for itself); the store's own code never does.
 */
import { EventEmitter } from 'node:events';
import { PGlite, types, type Results } from '@electric-sql/pglite';

interface PgLikeResult {
  rows: unknown[];
  rowCount: number;
  command: string;
  fields: Results['fields'];
}

type ConnectCallback = (
  error: Error | null,
  client: PGliteClient | null,
  release: (error?: unknown) => void,
) => void;

function commandOf(sql: string): string {
  return (/^\s*(\w+)/.exec(sql)?.[1] ?? '').toUpperCase();
}

function toPgResult(sql: string, result: Results): PgLikeResult {
  return {
    rows: result.rows,
    rowCount: result.affectedRows ?? result.rows.length,
    command: commandOf(sql),
    fields: result.fields,
  };
}

/** The "client" a pooled connection exposes; there is one per pool, used exclusively. */
class PGliteClient extends EventEmitter {
  constructor(private readonly db: Promise<PGlite>) {
    super();
  }

  async query(sql: string, params?: unknown[]): Promise<PgLikeResult> {
    const db = await this.db;
    if (params && params.length > 0) return toPgResult(sql, await db.query(sql, params));
    // Without parameters the statement may hold several commands (migrations); pg returns the last.
    const results = await db.exec(sql);
    return toPgResult(sql, results[results.length - 1] ?? { rows: [], fields: [] });
  }
}

/** Serialises holders of the single connection in arrival order. */
class ConnectionLock {
  private tail: Promise<void> = Promise.resolve();

  acquire(): Promise<() => void> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const acquired = this.tail.then(() => release);
    this.tail = this.tail.then(() => released);
    return acquired;
  }
}

/** Creates a `pg`-shaped module backed by one PGlite database (in memory, or in `dataDir`). */
export function pgliteDriver(dataDir?: string): { Pool: new () => EventEmitter } {
  const db = PGlite.create(dataDir, {
    // TypeORM passes JS booleans for boolean columns; PGlite's default text form is fine for
    // bool-typed parameters but not for untyped ones, so send SQL literals.
    serializers: { [types.BOOL]: (value: unknown) => (value ? 'TRUE' : 'FALSE') },
  });
  const client = new PGliteClient(db);
  const lock = new ConnectionLock();

  class Pool extends EventEmitter {
    connect(callback: ConnectCallback): void {
      db.then(() => lock.acquire())
        .then((release) => {
          let released = false;
          callback(null, client, () => {
            if (!released) {
              released = true;
              release();
            }
          });
        })
        .catch((error: Error) => callback(error, null, () => undefined));
    }

    end(callback?: (error: Error | null) => void): void {
      db.then((instance) => instance.close())
        .then(() => callback?.(null))
        .catch((error: Error) => callback?.(error));
    }
  }
  return { Pool };
}
