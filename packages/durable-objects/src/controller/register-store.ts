/**
 * @module
 * A controller replica's acceptor state (CASPaxos): one register per topic row and per group-registry entry, each
 * kept in the replica's SQLite with the ballot it promised and the ballot its value was accepted under, so a
 * restarted replica keeps every promise it made. A value is opaque JSON text here (`null`: absent — never created,
 * or deleted; a deleted register keeps its ballots as a tombstone, so a late message from an old proposer cannot
 * bring the value back). With the value go the ids of the last changes that made it (`changes`), so a proposer
 * that runs again can tell whether its own change is already in. Every accepted change gets the next local
 * sequence number: catching a peer up is sending the registers changed since the sequence it is known to hold.
 *
 * A deployment's topics table from before the quorum (one `topics` row per topic, one `groups` row per group) is
 * taken over as registers accepted under ballot 0, lower than any proposal's, so they are what every replica
 * learns first.
 */

/** What a register holds: a topic row, or a consumer-group or share-group registry entry. */
export type RegisterKind = "topic" | "group" | "share-group";

/** A register's accepted value and the ids of the latest changes it holds (oldest first). */
export interface Versioned {
  readonly value: string | null;
  readonly changes: readonly string[];
}

/** A register as catch-up sends it: its accepted value and ballot. */
export interface AcceptedRegister extends Versioned {
  readonly kind: RegisterKind;
  readonly key: string;
  readonly accepted: number;
}

/** Phase 1 answer: a promise with what was accepted before (`accepted: null`: nothing), or the higher promise. */
export type PrepareAnswer =
  | ({ readonly promised: true; readonly accepted: number | null } & Versioned)
  | { readonly promised: false; readonly ballot: number };

/** Phase 2 answer: accepted, or refused for the higher ballot promised meanwhile. */
export type AcceptAnswer =
  | { readonly accepted: true }
  | { readonly accepted: false; readonly ballot: number };

/** What a register holds without a promise being made: quorum reads compare these. */
export interface PeekAnswer extends Versioned {
  readonly accepted: number | null;
}

/** A replica's own name parts, remembered so its alarm (which has no caller) knows which peers to reach. */
export interface ControllerIdentity {
  readonly prefix: string;
  readonly region: string;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS registers (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    promised INTEGER NOT NULL,
    accepted INTEGER,
    value TEXT,
    changes TEXT,
    seq INTEGER NOT NULL,
    PRIMARY KEY (kind, key)
  );
  CREATE INDEX IF NOT EXISTS registers_by_seq ON registers (seq);
  CREATE TABLE IF NOT EXISTS controller_self (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    prefix TEXT NOT NULL,
    region TEXT NOT NULL,
    joined TEXT
  );
  CREATE TABLE IF NOT EXISTS controller_peers (
    region TEXT PRIMARY KEY,
    joined TEXT,
    behind_from INTEGER
  );
`;

type RegisterRow = {
  kind: RegisterKind;
  key: string;
  promised: number;
  accepted: number | null;
  value: string | null;
  /** JSON string[]: ids of the latest changes (null: none recorded, as for adopted legacy rows). */
  changes: string | null;
  seq: number;
};

/** A peer as this replica tracks it: the membership it joined (first replica only) and where catch-up starts. */
export interface PeerState {
  readonly region: string;
  readonly joined: string | null;
  /** The lowest local sequence the peer may lack (`null`: it holds everything this replica accepted). */
  readonly behindFrom: number | null;
}

export class RegisterStore {
  readonly #sql: SqlStorage;
  readonly #transaction: <T>(body: () => T) => T;
  /** Registers of kind topic holding a value: counted once, then kept by every accept (no scan per create). */
  #topicCount: number | null = null;

  constructor(storage: DurableObjectStorage) {
    this.#sql = storage.sql;
    this.#transaction = (body) => storage.transactionSync(body);
    this.#sql.exec(SCHEMA);
    this.#adoptLegacyTables();
  }

  // ── acceptor ────────────────────────────────────────────────────────────────────────────────────────────────

  prepare(kind: RegisterKind, key: string, ballot: number): PrepareAnswer {
    const row = this.#get(kind, key);
    if (row !== null && ballot <= row.promised) return { promised: false, ballot: row.promised };
    if (row === null) {
      this.#sql.exec(
        "INSERT INTO registers (kind, key, promised, accepted, value, seq) VALUES (?, ?, ?, NULL, NULL, 0)",
        kind,
        key,
        ballot,
      );
      return { promised: true, accepted: null, value: null, changes: [] };
    }
    this.#sql.exec("UPDATE registers SET promised = ? WHERE kind = ? AND key = ?", ballot, kind, key);
    return { promised: true, accepted: row.accepted, ...versioned(row) };
  }

  accept(kind: RegisterKind, key: string, ballot: number, next: Versioned): AcceptAnswer {
    const row = this.#get(kind, key);
    if (row !== null && ballot < row.promised) return { accepted: false, ballot: row.promised };
    this.#write(kind, key, ballot, ballot, next, row);
    return { accepted: true };
  }

  /**
   * Catch-up: takes a register another replica accepted, under the acceptor's own rule (the ballot is not below
   * this replica's promise) and only when newer than what it holds — a late phase 2 message, nothing more.
   */
  install(register: AcceptedRegister): boolean {
    const { kind, key, accepted } = register;
    const row = this.#get(kind, key);
    if (row !== null && (accepted < row.promised || accepted <= (row.accepted ?? -1))) return false;
    this.#write(kind, key, Math.max(accepted, row?.promised ?? accepted), accepted, register, row);
    return true;
  }

  peek(kind: RegisterKind, key: string): PeekAnswer {
    const row = this.#get(kind, key);
    return row === null
      ? { accepted: null, value: null, changes: [] }
      : { accepted: row.accepted, ...versioned(row) };
  }

  /** The local sequence of a register's last accepted change (0: none yet). */
  seqOf(kind: RegisterKind, key: string): number {
    return this.#get(kind, key)?.seq ?? 0;
  }

  /** The highest ballot this replica promised: a restarted proposer starts above it. */
  highestPromise(): number {
    return this.#sql.exec<{ b: number | null }>("SELECT max(promised) AS b FROM registers").one().b ?? 0;
  }

  // ── local views (reads answered by this replica) ────────────────────────────────────────────────────────────

  value(kind: RegisterKind, key: string): string | null {
    return this.#get(kind, key)?.value ?? null;
  }

  values(kind: RegisterKind): string[] {
    return this.#sql
      .exec<{ value: string }>("SELECT value FROM registers WHERE kind = ? AND value IS NOT NULL", kind)
      .toArray()
      .map((row) => row.value);
  }

  keys(kind: RegisterKind): string[] {
    return this.#sql
      .exec<{ key: string }>("SELECT key FROM registers WHERE kind = ? AND value IS NOT NULL", kind)
      .toArray()
      .map((row) => row.key);
  }

  /** Topic names that collide with `name` once `.` and `_` are taken as one character (Kafka's rule). */
  collidingTopics(name: string): string[] {
    return this.#sql
      .exec<{ key: string }>(
        "SELECT key FROM registers WHERE kind = 'topic' AND value IS NOT NULL AND replace(key, '.', '_') = ?",
        name.replaceAll(".", "_"),
      )
      .toArray()
      .map((row) => row.key);
  }

  topicCount(): number {
    this.#topicCount ??= this.#sql
      .exec<{ n: number }>("SELECT count(*) AS n FROM registers WHERE kind = 'topic' AND value IS NOT NULL")
      .one().n;
    return this.#topicCount;
  }

  /** Registers accepted here from local sequence `from` on, oldest change first, at most `limit`. */
  changedSince(from: number, limit: number): (AcceptedRegister & { readonly seq: number })[] {
    return this.#sql
      .exec<RegisterRow>(
        "SELECT * FROM registers WHERE seq >= ? AND accepted IS NOT NULL ORDER BY seq LIMIT ?",
        from,
        limit,
      )
      .toArray()
      .map((row) => ({
        kind: row.kind,
        key: row.key,
        accepted: row.accepted as number,
        ...versioned(row),
        seq: row.seq,
      }));
  }

  // ── identity, membership and peers ──────────────────────────────────────────────────────────────────────────

  identity(): ControllerIdentity | null {
    return (
      this.#sql
        .exec<{ prefix: string; region: string }>("SELECT prefix, region FROM controller_self WHERE id = 0")
        .toArray()[0] ?? null
    );
  }

  remember(identity: ControllerIdentity): void {
    this.#sql.exec(
      "INSERT INTO controller_self (id, prefix, region) VALUES (0, ?, ?) ON CONFLICT (id) DO UPDATE SET prefix = excluded.prefix, region = excluded.region",
      identity.prefix,
      identity.region,
    );
  }

  /** The membership (comma-joined regions) this replica was brought up to date for, or null. */
  joined(): string | null {
    return (
      this.#sql
        .exec<{ joined: string | null }>("SELECT joined FROM controller_self WHERE id = 0")
        .toArray()[0]?.joined ?? null
    );
  }

  join(membership: string): void {
    this.#sql.exec("UPDATE controller_self SET joined = ? WHERE id = 0", membership);
  }

  peers(): PeerState[] {
    return this.#sql
      .exec<{ region: string; joined: string | null; behind_from: number | null }>(
        "SELECT * FROM controller_peers",
      )
      .toArray()
      .map((row) => ({ region: row.region, joined: row.joined, behindFrom: row.behind_from }));
  }

  /** The peer may lack what this replica accepted from local sequence `from` on. */
  markBehind(region: string, from: number): void {
    this.#sql.exec(
      `INSERT INTO controller_peers (region, joined, behind_from) VALUES (?, NULL, ?)
       ON CONFLICT (region) DO UPDATE SET behind_from = min(coalesce(behind_from, excluded.behind_from), excluded.behind_from)`,
      region,
      from,
    );
  }

  /** After a catch-up: the peer holds everything below `from` (`null`: everything), and joined `joined` if given. */
  caughtUp(region: string, from: number | null, joined?: string): void {
    this.#sql.exec(
      `INSERT INTO controller_peers (region, joined, behind_from) VALUES (?, ?, ?)
       ON CONFLICT (region) DO UPDATE SET behind_from = excluded.behind_from, joined = coalesce(?, joined)`,
      region,
      joined ?? null,
      from,
      joined ?? null,
    );
  }

  /** The local sequence the next accepted change gets. */
  nextSeq(): number {
    return (this.#sql.exec<{ s: number | null }>("SELECT max(seq) AS s FROM registers").one().s ?? 0) + 1;
  }

  // ── helpers ─────────────────────────────────────────────────────────────────────────────────────────────────

  #get(kind: RegisterKind, key: string): RegisterRow | null {
    return (
      this.#sql
        .exec<RegisterRow>("SELECT * FROM registers WHERE kind = ? AND key = ?", kind, key)
        .toArray()[0] ?? null
    );
  }

  #write(
    kind: RegisterKind,
    key: string,
    promised: number,
    accepted: number,
    next: Versioned,
    before: RegisterRow | null,
  ): void {
    const { value } = next;
    this.#sql.exec(
      `INSERT INTO registers (kind, key, promised, accepted, value, changes, seq) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (kind, key) DO UPDATE SET promised = excluded.promised, accepted = excluded.accepted,
         value = excluded.value, changes = excluded.changes, seq = excluded.seq`,
      kind,
      key,
      promised,
      accepted,
      value,
      JSON.stringify(next.changes),
      this.nextSeq(),
    );
    if (kind === "topic" && this.#topicCount !== null) {
      this.#topicCount += Number(value !== null) - Number((before?.value ?? null) !== null);
    }
  }

  /** Today's tables (one metadata object, no ballots) become registers accepted under ballot 0, once. */
  #adoptLegacyTables(): void {
    const legacy = this.#sql
      .exec<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('topics', 'groups')",
      )
      .toArray()
      .map((row) => row.name);
    if (legacy.length === 0) return;
    this.#transaction(() => {
      if (legacy.includes("topics")) {
        const replication = this.#sql
          .exec<{ name: string }>("PRAGMA table_info(topics)")
          .toArray()
          .some((column) => column.name === "replication");
        this.#sql.exec(
          `INSERT OR IGNORE INTO registers (kind, key, promised, accepted, value, seq)
           SELECT 'topic', name, 0, 0, json_object('name', name, 'topic_id', topic_id, 'partitions', partitions,
             'config', config, 'created_at', created_at, 'placement', placement, 'regions', regions,
             'replication', ${replication ? "replication" : "NULL"}), rowid
           FROM topics`,
        );
        this.#sql.exec("DROP TABLE topics");
      }
      if (legacy.includes("groups")) {
        const base = this.nextSeq();
        this.#sql.exec(
          `INSERT OR IGNORE INTO registers (kind, key, promised, accepted, value, seq)
           SELECT 'group', group_id, 0, 0, 'true', ? + rowid FROM groups`,
          base,
        );
        this.#sql.exec("DROP TABLE groups");
      }
    });
  }
}

function versioned(row: RegisterRow): Versioned {
  return { value: row.value, changes: row.changes === null ? [] : (JSON.parse(row.changes) as string[]) };
}
