/**
 * @module
 * The alarm's share of a table of timed work (the controller's failover suspects, its elections still to
 * deliver): handle the rows that are due, a bounded number per alarm, then make the alarm ring again for the
 * earliest row left — whatever the handling threw, so no row is ever left without an alarm.
 */

export interface DueRows<Row> {
  readonly sql: SqlStorage;
  /** The table and its time column: constants of the caller's schema, never user input. */
  readonly table: string;
  readonly dueColumn: string;
  readonly limit: number;
  readonly now: number;
  readonly handle: (row: Row) => Promise<void>;
  readonly wakeAt: (at: number) => void;
}

export async function handleDueRows<Row extends Record<string, SqlStorageValue>>(
  work: DueRows<Row>,
): Promise<void> {
  const { sql, table, dueColumn } = work;
  try {
    const due = sql
      .exec<Row>(
        `SELECT * FROM ${table} WHERE ${dueColumn} <= ? ORDER BY ${dueColumn} LIMIT ?`,
        work.now,
        work.limit,
      )
      .toArray();
    await Promise.all(due.map((row) => work.handle(row)));
  } finally {
    const next = sql.exec<{ at: number | null }>(`SELECT min(${dueColumn}) AS at FROM ${table}`).one().at;
    if (next !== null) work.wakeAt(next);
  }
}
