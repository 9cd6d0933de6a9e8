/**
 * @module
 * `ShareCoordinator`: runs a share group (KIP-932) over a store's share state and its log. Each request reads the
 * group's document with the share-partitions it touches, applies the pure transitions (`share-group-state.ts`,
 * `share-partition.ts`) — session, lock expiry, acknowledgements, acquisition of records read from the log — and
 * writes them back with compare-and-set, so any number of coordinators may serve one group (IndexedDB tabs);
 * within one process a group's transactions also take turns, so they do not race each other into retries. The log
 * is read before the turn (`share-acquisition.ts`), so members' reads overlap. Stores use it to implement
 * `ShareGroupStore`: in-process for the memory and IndexedDB stores, inside the group's Durable Object at the edge.
 *
 * A fetch that finds nothing to acquire waits (up to its `maxWaitMs`) outside the group's turn — on appends to the
 * partitions it reads, on records this process releases, and on the next lock that runs out — then tries again.
 * Records archived for the dead-letter topic are copied there after the write that archived them
 * (`dead-letter-copies.ts`).
 */
import { EdgeLogError, isEdgeLogError } from "../errors.ts";
import type { LogStore, ShareStateStore, TopicMetadata, TopicPartition } from "../store.ts";
import { assertValidGroupId, compareStrings, unknownGroup } from "../validation.ts";
import { writeDeadLetters } from "./dead-letter-copies.ts";
import {
  acquireFromReads,
  chooseCandidates,
  partitionKeysOf,
  type ReadAhead,
  readAhead,
  rereadReturned,
  SHARE_PARTITIONS_PER_FETCH,
} from "./share-acquisition.ts";
import { alterShareConfig, effectiveShareConfig, type ShareGroupConfig } from "./share-config.ts";
import {
  CLOSE_SHARE_SESSION_EPOCH,
  expiredMembers,
  hasPendingDeadLetters,
  indexPartition,
  nextShareDeadline,
  OPEN_SHARE_SESSION_EPOCH,
  readShareGroupMeta,
  type ShareGroupMeta,
  sharePartitionKey,
  stepSession,
} from "./share-group-state.ts";
import { deadLettersWritten, releaseMember, type SharePartitionState } from "./share-partition.ts";
import {
  packSharePartition,
  type StoredSharePartition,
  unpackSharePartition,
} from "./share-partition-codec.ts";
import { DEFAULT_SHARE_MAX_RECORDS, MAX_SHARE_FETCH_WAIT_MS, validateShareFetch } from "./share-request.ts";
import {
  applyAcknowledgements,
  continueSession,
  dueKeys,
  expireAll,
  type Transaction,
} from "./share-transaction.ts";
import type { ShareFetchRequest, ShareFetchResponse, ShareGroupDescription } from "./share-types.ts";
import { ShareWaits } from "./share-waits.ts";

/** What the coordinator reads and writes records through: the store's own log. */
export type ShareLogPort = Pick<LogStore, "getTopic" | "offsets" | "read" | "append">;

export interface ShareCoordinatorOptions {
  /** The clock; tests pass their own. */
  readonly now?: () => number;
  /** Members a share group holds at most (default `MAX_GROUP_MEMBERS`). */
  readonly maxMembers?: number;
  /**
   * Told after each write when the group next needs attention with no request to bring it (a lock or a session
   * running out, a dead-letter copy to retry), e.g. for a Durable Object's alarm. `null`: nothing to watch.
   */
  readonly onWrite?: (groupId: string, nextDeadline: number | null) => void;
  /** Where failures no caller sees are reported (a dead-letter copy that could not be written). */
  readonly report?: (message: string, error: unknown) => void;
}

/**
 * Share-partitions one group tracks at most: the group's document indexes each, and every request reads it. A
 * fetch that would start tracking more is refused (`POLICY_VIOLATION`).
 */
export const MAX_SHARE_PARTITIONS = 10_000;
/** Compare-and-set attempts before answering the retriable `CONCURRENT_TRANSACTIONS`. */
const MAX_ATTEMPTS = 16;
/** Acquisition rounds one fetch makes at most while it waits (each after something woke it). */
const MAX_PASSES = 64;
/** How soon a dead-letter copy that failed for a passing reason is tried again (ms). */
const DEAD_LETTER_RETRY_MS = 1_000;

interface Pass {
  readonly response: ShareFetchResponse;
  /** Partitions at the end of the log with room in their window: appends there are worth waiting for. */
  readonly waitOn: { tp: TopicPartition; offset: number }[];
  readonly nextDeadline: number | null;
}

export class ShareCoordinator {
  readonly #state: ShareStateStore;
  readonly #log: ShareLogPort;
  readonly #now: () => number;
  readonly #maxMembers: number | undefined;
  readonly #onWrite: ShareCoordinatorOptions["onWrite"];
  readonly #report: (message: string, error: unknown) => void;
  /** Each group's turn: requests of one group run their transactions one after another in this process. */
  readonly #turns = new Map<string, Promise<unknown>>();
  /** Fetches waiting for records, woken when this process makes records available again. */
  readonly #waits = new ShareWaits();
  /** Where each group's next fetch starts looking, so every partition gets its turn. */
  readonly #cursors = new Map<string, number>();
  /** Groups whose dead-letter copies are being written by this process. */
  readonly #copying = new Set<string>();

  constructor(state: ShareStateStore, log: ShareLogPort, options: ShareCoordinatorOptions = {}) {
    this.#state = state;
    this.#log = log;
    this.#now = options.now ?? Date.now;
    this.#maxMembers = options.maxMembers;
    this.#onWrite = options.onWrite;
    this.#report = options.report ?? ((message, error) => console.error(`edgelog: ${message}`, error));
  }

  /** One share fetch (`ShareGroupStore.shareFetch`). */
  async fetch(
    groupId: string,
    request: ShareFetchRequest,
    signal?: AbortSignal,
  ): Promise<ShareFetchResponse> {
    assertValidGroupId(groupId);
    validateShareFetch(request);
    if (signal?.aborted) throw signal.reason;
    const maxRecords = request.maxRecords ?? DEFAULT_SHARE_MAX_RECORDS;
    const waitUntil = this.#now() + Math.min(request.maxWaitMs ?? 0, MAX_SHARE_FETCH_WAIT_MS);
    const topics = await this.#topics(request.topics ?? []);
    let pass = await this.#fetchPass(groupId, request, topics, maxRecords, false);
    const acknowledgeErrors = pass.response.acknowledgeErrors;
    const closing = request.sessionEpoch === CLOSE_SHARE_SESSION_EPOCH;
    for (let passes = 1; !closing && maxRecords > 0 && pass.response.partitions.length === 0; passes++) {
      if (this.#now() >= waitUntil || passes >= MAX_PASSES) break;
      const now = this.#now();
      const wakeIn = pass.nextDeadline === null ? Number.POSITIVE_INFINITY : pass.nextDeadline - now;
      await this.#waits.wait(this.#log, groupId, pass.waitOn, waitUntil - now, wakeIn, signal);
      // The answer of the last pass moved the session: the next one continues it, without moving it again.
      const next = { memberId: request.memberId, sessionEpoch: pass.response.sessionEpoch };
      pass = await this.#fetchPass(groupId, next, topics, maxRecords, true);
    }
    await this.#copyDeadLetters(groupId);
    return { ...pass.response, acknowledgeErrors };
  }

  /**
   * Work with no request to bring it — locks and sessions that ran out, dead-letter copies to retry — done now;
   * returns when to look again (`null`: nothing to watch), for a Durable Object's alarm.
   */
  async expire(groupId: string): Promise<number | null> {
    const now = this.#now();
    const next = await this.#turn(groupId, () =>
      this.#transact(
        groupId,
        (meta) => dueKeys(meta, now, effectiveShareConfig(meta.config), true),
        async (tx) => {
          if (expireAll(tx, now)) this.#waits.wake(groupId);
          return null;
        },
      ),
    );
    await this.#copyDeadLetters(groupId);
    const versioned = await this.#state.getShareState(groupId, () => []);
    return versioned === null ? next : deadlineOf(readShareGroupMeta(groupId, versioned.meta), this.#now());
  }

  /** The group as of now (`ShareGroupStore.describeShareGroup`). */
  async describe(groupId: string): Promise<ShareGroupDescription> {
    assertValidGroupId(groupId);
    const now = this.#now();
    const versioned = await this.#state.getShareState(groupId, (stored) => {
      const meta = readShareGroupMeta(groupId, stored);
      return dueKeys(meta, now, effectiveShareConfig(meta.config), false);
    });
    if (versioned === null) throw unknownGroup(groupId);
    const meta = readShareGroupMeta(groupId, versioned.meta);
    const config = effectiveShareConfig(meta.config);
    // As of now: locks and sessions that ran out are applied to this copy (nothing is written; the next request
    // or alarm does that), so the description never shows a record as held that anyone may take.
    const tx: Transaction = { meta, partitions: new Map(), touched: new Set(), dirty: false };
    for (const [key, state] of versioned.partitions) {
      tx.partitions.set(key, unpackSharePartition(state as StoredSharePartition));
    }
    expireAll(tx, now);
    for (const key of tx.touched) {
      const state = tx.partitions.get(key) as SharePartitionState;
      const [topic, partition] = key.split("\u0000") as [string, string];
      indexPartition(meta, topic, Number(partition), state);
    }
    const members = Object.entries(meta.members)
      .map(([memberId, m]) => ({
        memberId,
        clientId: m.clientId,
        topics: m.topics,
        sessionEpoch: m.sessionEpoch,
        lastSeenMs: m.lastSeenMs,
      }))
      .sort((a, b) => compareStrings(a.memberId, b.memberId));
    const partitions = Object.values(meta.partitions)
      .map((index) => ({
        topic: index.topic,
        partition: index.partition,
        startOffset: index.startOffset,
        endOffset: index.endOffset,
        inFlight: {
          available: index.available,
          acquired: index.acquired,
          acknowledged: index.acknowledged,
          archived: index.archived,
        },
        pendingDeadLetters: index.pendingDeadLetters,
        nextLockDeadline: index.nextDeadline,
      }))
      .sort((a, b) => compareStrings(a.topic, b.topic) || a.partition - b.partition);
    return { groupId, state: members.length > 0 ? "Stable" : "Empty", config, members, partitions };
  }

  /** Changes the group's config, creating the group if needed (`ShareGroupStore.alterShareGroupConfig`). */
  async alterConfig(groupId: string, changes: Readonly<Record<string, unknown>>): Promise<ShareGroupConfig> {
    assertValidGroupId(groupId);
    // Validated before the group is read: a bad change must not create an empty group.
    alterShareConfig({}, changes);
    return this.#turn(groupId, () =>
      this.#transact(
        groupId,
        () => [],
        async (tx) => {
          tx.meta.config = alterShareConfig(tx.meta.config, changes);
          tx.dirty = true;
          return effectiveShareConfig(tx.meta.config);
        },
      ),
    );
  }

  /** Removes the group's state (`ShareGroupStore.deleteShareGroup`). */
  async delete(groupId: string): Promise<void> {
    assertValidGroupId(groupId);
    await this.#turn(groupId, async () => {
      for (let attempt = 1; ; attempt++) {
        const versioned = await this.#state.getShareState(groupId, () => []);
        if (versioned === null) throw unknownGroup(groupId);
        const meta = readShareGroupMeta(groupId, versioned.meta);
        const live =
          Object.keys(meta.members).length -
          expiredMembers(meta, this.#now(), effectiveShareConfig(meta.config)).length;
        if (live > 0) {
          throw new EdgeLogError(
            "NON_EMPTY_GROUP",
            `share group "${groupId}" has ${live} member(s) with sessions; close them first`,
            { context: { groupId } },
          );
        }
        try {
          await this.#state.deleteShareState(groupId, versioned.version);
          this.#onWrite?.(groupId, null);
          return;
        } catch (error) {
          if (!isConcurrent(error) || attempt >= MAX_ATTEMPTS) throw error;
        }
      }
    });
    this.#cursors.delete(groupId);
  }

  /** Share groups with state (`ShareGroupStore.listShareGroups`). */
  list(): Promise<string[]> {
    return this.#state.listShareStates();
  }

  // ── one fetch pass ──────────────────────────────────────────────────────────────────────────────────────────

  /**
   * One pass of a fetch: the logs read first, outside the group's turn (`share-acquisition.ts`), then session,
   * expiry, acknowledgements, releases and acquisition from those reads in one transaction. `continued`: a later
   * pass of the same fetch, which checks the session is still the one the first pass moved, and moves nothing else.
   */
  async #fetchPass(
    groupId: string,
    request: ShareFetchRequest,
    topics: ReadonlyMap<string, TopicMetadata>,
    maxRecords: number,
    continued: boolean,
  ): Promise<Pass> {
    const now = this.#now();
    const { memberId } = request;
    const ackKeys = new Set(
      (request.acknowledgements ?? []).map((a) => sharePartitionKey(a.topic, a.partition)),
    );
    const acquiring = maxRecords > 0 && request.sessionEpoch !== CLOSE_SHARE_SESSION_EPOCH && topics.size > 0;
    const reopening = !continued && request.sessionEpoch === OPEN_SHARE_SESSION_EPOCH;
    const reads = acquiring
      ? await this.#readAhead(groupId, memberId, reopening, topics, ackKeys, now, maxRecords)
      : [];
    const pass = await this.#turn(groupId, () =>
      this.#transact(
        groupId,
        (meta) => {
          const config = effectiveShareConfig(meta.config);
          const member = meta.members[memberId];
          const releasing =
            !continued &&
            member !== undefined &&
            (request.sessionEpoch === OPEN_SHARE_SESSION_EPOCH ||
              request.sessionEpoch === CLOSE_SHARE_SESSION_EPOCH);
          const keys = dueKeys(meta, now, config, releasing);
          for (const key of ackKeys) keys.add(key);
          for (const read of reads) keys.add(read.key);
          return keys;
        },
        async (tx) => {
          const config = effectiveShareConfig(tx.meta.config);
          const deadLetters = config["errors.deadletterqueue.topic.name"] !== "";
          // Sessions that ran out end first: a member whose own session ended is told so, not served.
          let released = expireAll(tx, now);
          let releaseOwn = false;
          if (continued) {
            continueSession(tx.meta, groupId, memberId, request.sessionEpoch, now);
          } else {
            releaseOwn = stepSession(tx.meta, groupId, request, now, this.#maxMembers).replaced;
          }
          tx.dirty = true;
          const acknowledgeErrors = continued
            ? []
            : applyAcknowledgements(
                tx,
                groupId,
                memberId,
                request.acknowledgements ?? [],
                config,
                deadLetters,
              );
          if (request.acknowledgements?.some((ack) => ack.type === "release")) released = true;
          // Acknowledgements first, then what the member's old (or closing) session still held goes back.
          if (releaseOwn) {
            for (const [key, state] of tx.partitions) {
              releaseMember(state, memberId, config, deadLetters);
              tx.touched.add(key);
            }
            released = true;
          }
          if (request.sessionEpoch === CLOSE_SHARE_SESSION_EPOCH) delete tx.meta.members[memberId];
          const tracked = Object.keys(tx.meta.partitions).length;
          const current = await rereadReturned(this.#log, reads, tx.partitions);
          const acquired = acquireFromReads(tx, current, memberId, now, config, maxRecords, (key) => {
            if (tx.meta.partitions[key] === undefined && tracked >= MAX_SHARE_PARTITIONS) {
              throw tooManyPartitions(groupId, tracked + 1);
            }
          });
          if (released) this.#waits.wake(groupId);
          const member = tx.meta.members[memberId];
          return {
            response: {
              memberId,
              sessionEpoch: member === undefined ? CLOSE_SHARE_SESSION_EPOCH : member.sessionEpoch,
              acquisitionLockTimeoutMs: config["share.record.lock.duration.ms"],
              partitions: acquired.partitions,
              acknowledgeErrors,
            },
            waitOn: acquired.waitOn,
          };
        },
      ),
    );
    return { ...pass, nextDeadline: this.#lastDeadlines.get(groupId) ?? null };
  }

  /** Picks the partitions to look at from the group's document as it is, and reads them (outside the turn). */
  async #readAhead(
    groupId: string,
    memberId: string,
    reopening: boolean,
    topics: ReadonlyMap<string, TopicMetadata>,
    ackKeys: ReadonlySet<string>,
    now: number,
    maxRecords: number,
  ): Promise<ReadAhead[]> {
    const all = partitionKeysOf(topics);
    if (all.length > MAX_SHARE_PARTITIONS) throw tooManyPartitions(groupId, all.length);
    const versioned = await this.#state.getShareState(groupId, () => []);
    const meta = readShareGroupMeta(groupId, versioned?.meta);
    const config = effectiveShareConfig(meta.config);
    // A full window may make room in this very request, and records come back: its acknowledgements, locks and
    // sessions running out, the member's own older session ending.
    const changing = dueKeys(meta, now, config, meta.members[memberId] !== undefined && reopening);
    for (const key of ackKeys) changing.add(key);
    const { chosen, next } = chooseCandidates(
      all,
      meta.partitions,
      config,
      changing,
      this.#cursors.get(groupId) ?? 0,
    );
    this.#cursors.set(groupId, next);
    return readAhead(this.#log, chosen, meta.partitions, topics, config, maxRecords);
  }

  /** When each group next needs attention, as its last write in this process left it: how long a fetch may wait. */
  readonly #lastDeadlines = new Map<string, number | null>();

  // ── waiting ─────────────────────────────────────────────────────────────────────────────────────────────────

  // ── dead letters ────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Writes the dead-letter copies the group owes, a few partitions at a time, then notes them done. A failure that
   * may pass (the topic's leader unreachable) leaves them owed (the next request or alarm tries again); one that
   * cannot (no such topic, a record too large for it) is reported and the records are given up.
   */
  async #copyDeadLetters(groupId: string): Promise<void> {
    if (this.#copying.has(groupId)) return;
    this.#copying.add(groupId);
    try {
      for (let round = 0; round < 16; round++) {
        const versioned = await this.#state.getShareState(groupId, (stored) =>
          pendingKeys(readShareGroupMeta(groupId, stored)),
        );
        if (versioned === null) return;
        const meta = readShareGroupMeta(groupId, versioned.meta);
        if (!hasPendingDeadLetters(meta)) return;
        const config = effectiveShareConfig(meta.config);
        const done = new Map<string, number[]>();
        const stuck = await writeDeadLetters(
          this.#log,
          this.#report,
          groupId,
          meta,
          config,
          versioned.partitions,
          done,
        );
        if (done.size > 0) {
          await this.#turn(groupId, () =>
            this.#transact(
              groupId,
              () => done.keys(),
              async (tx) => {
                for (const [key, offsets] of done) {
                  const state = tx.partitions.get(key);
                  if (state === undefined) continue;
                  deadLettersWritten(state, offsets);
                  tx.touched.add(key);
                }
                return null;
              },
            ),
          );
        }
        if (stuck || done.size === 0) return;
      }
    } finally {
      this.#copying.delete(groupId);
    }
  }

  // ── transactions ────────────────────────────────────────────────────────────────────────────────────────────

  /** Runs `body` when the group's earlier requests in this process are done. */
  #turn<T>(groupId: string, body: () => Promise<T>): Promise<T> {
    const previous = this.#turns.get(groupId) ?? Promise.resolve();
    const run = previous.then(body, body);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.#turns.set(groupId, settled);
    void settled.then(() => {
      if (this.#turns.get(groupId) === settled) this.#turns.delete(groupId);
    });
    return run;
  }

  /**
   * Read (the group's document and the partitions `select` names from it), apply, compare-and-set; again when
   * another writer won. Writes only when `apply` changed something.
   */
  async #transact<T>(
    groupId: string,
    select: (meta: ShareGroupMeta) => Iterable<string>,
    apply: (tx: Transaction) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const versioned = await this.#state.getShareState(groupId, (stored) =>
        select(readShareGroupMeta(groupId, stored)),
      );
      const meta = readShareGroupMeta(groupId, versioned?.meta);
      // A group with no state yet has nothing to read, but `select` also plans the request (which partitions to
      // look at): it runs on the empty group.
      if (versioned === null) select(meta);
      const partitions = new Map<string, SharePartitionState>();
      for (const [key, state] of versioned?.partitions ?? [])
        partitions.set(key, unpackSharePartition(state as StoredSharePartition));
      const tx: Transaction = { meta, partitions, touched: new Set(), dirty: false };
      const result = await apply(tx);
      if (!tx.dirty && tx.touched.size === 0) return result;
      const written = new Map<string, unknown>();
      for (const key of tx.touched) {
        const state = tx.partitions.get(key);
        if (state === undefined) continue;
        const [topic, partition] = key.split("\u0000") as [string, string];
        indexPartition(meta, topic, Number(partition), state);
        written.set(key, packSharePartition(state));
      }
      try {
        await this.#state.putShareState(groupId, { meta, partitions: written }, versioned?.version ?? null);
        const next = deadlineOf(meta, this.#now());
        this.#lastDeadlines.set(groupId, next);
        this.#onWrite?.(groupId, next);
        return result;
      } catch (error) {
        if (!isConcurrent(error) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }

  /** Metadata of the named topics that exist (a topic deleted meanwhile simply gives nothing). */
  async #topics(names: readonly string[]): Promise<Map<string, TopicMetadata>> {
    const found = await Promise.all([...new Set(names)].map((name) => this.#log.getTopic(name)));
    const topics = new Map<string, TopicMetadata>();
    for (const metadata of found) if (metadata !== null) topics.set(metadata.name, metadata);
    return topics;
  }
}

function pendingKeys(meta: ShareGroupMeta): string[] {
  return Object.entries(meta.partitions)
    .filter(([, index]) => index.pendingDeadLetters > 0)
    .map(([key]) => key)
    .slice(0, SHARE_PARTITIONS_PER_FETCH);
}

/** When to look again: the next lock or session deadline, sooner while dead-letter copies are owed. */
function deadlineOf(meta: ShareGroupMeta, now: number): number | null {
  const next = nextShareDeadline(meta, effectiveShareConfig(meta.config));
  if (!hasPendingDeadLetters(meta)) return next;
  const retry = now + DEAD_LETTER_RETRY_MS;
  return next === null ? retry : Math.min(next, retry);
}

function tooManyPartitions(groupId: string, count: number): EdgeLogError {
  return new EdgeLogError(
    "POLICY_VIOLATION",
    `a share group reads at most ${MAX_SHARE_PARTITIONS} partitions (this fetch would make it ${count})`,
    { context: { groupId, limit: MAX_SHARE_PARTITIONS, actual: count } },
  );
}

function isConcurrent(error: unknown): boolean {
  return isEdgeLogError(error) && error.code === "CONCURRENT_TRANSACTIONS";
}
