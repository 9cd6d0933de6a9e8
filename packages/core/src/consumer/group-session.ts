/**
 * @module
 * A consumer's membership in its group: the heartbeat loop of KIP-848 (join with epoch 0, heartbeat with the
 * current epoch and the partitions still owned, rejoin after being fenced, leave with -1), and offset commits
 * made as the member. The consumer decides what to do with an assignment; this module only talks to the
 * coordinator, on a timer or when asked, one request at a time.
 */
import { isEdgeLogError, isRetriable } from "../errors.ts";
import type { GroupHeartbeatResponse, TopicPartitions } from "../groups/group-types.ts";
import { JOIN_GROUP_EPOCH, LEAVE_GROUP_EPOCH } from "../groups/group-types.ts";
import { randomId } from "../random-id.ts";
import { type RetryOptions, retryDelayMs } from "../retry.ts";
import type { CommittedOffset, LogStore } from "../store.ts";

/** What the session needs from its consumer. */
export interface GroupSessionHost {
  /** The topic names the consumer subscribes to now (patterns resolved). */
  subscribedTopics(): Promise<string[]>;
  /** Partitions the consumer still owns: assigned, or revoked but not yet released. */
  ownedPartitions(): TopicPartitions[];
  /** A (possibly) new assignment from the coordinator; resolves once new partitions have their positions. */
  assign(assignment: readonly TopicPartitions[]): Promise<void>;
  /** Membership lost (fenced, removed, or silent past the session timeout): stop every partition, commit nothing. */
  lose(): Promise<void>;
  /** A failure no retry can fix. */
  crash(error: unknown): void;
}

export interface GroupSessionConfig {
  readonly groupId: string;
  /** Asked of the coordinator, which clamps it. KafkaJS's default: 30 000. */
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly serverAssignor?: string;
  readonly clientId?: string;
  readonly retry: RetryOptions;
  readonly now?: () => number;
}

export class GroupSession {
  /** Chosen here (KIP-1082), so a join retried after a lost answer is the same join. */
  readonly memberId = randomId();
  #epoch = JOIN_GROUP_EPOCH;
  #intervalMs = 3_000;
  #sessionTimeoutMs: number;
  #lastOk: number;
  #sentTopics: string | null = null;
  #running = false;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  #inFlight: Promise<void> | null = null;
  readonly #store: LogStore;
  readonly #host: GroupSessionHost;
  readonly #config: GroupSessionConfig;
  readonly #now: () => number;

  constructor(store: LogStore, host: GroupSessionHost, config: GroupSessionConfig) {
    this.#store = store;
    this.#host = host;
    this.#config = config;
    this.#now = config.now ?? Date.now;
    this.#sessionTimeoutMs = config.sessionTimeoutMs;
    this.#lastOk = this.#now();
  }

  get memberEpoch(): number {
    return this.#epoch;
  }

  /** Joins (resolving once the first answer is applied) and keeps heartbeating until `stop`. */
  async start(): Promise<void> {
    this.#running = true;
    this.#lastOk = this.#now();
    await this.beat();
    this.#loop = this.#run();
  }

  /** Stops heartbeating; with `leave`, tells the coordinator so the partitions move at once. */
  async stop(leave: boolean): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    await this.#inFlight?.catch(() => undefined);
    if (leave && this.#epoch > JOIN_GROUP_EPOCH) {
      await this.#store
        .groupHeartbeat(this.#config.groupId, { memberId: this.memberId, memberEpoch: LEAVE_GROUP_EPOCH })
        .catch(() => undefined); // the session timeout removes us anyway
    }
    this.#forget();
  }

  /** Heartbeats now (after the one in flight, if any) — after a release, or from `eachBatch`'s `heartbeat()`. */
  beat(): Promise<void> {
    const previous = this.#inFlight ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.#beatOnce());
    this.#inFlight = next;
    return next.finally(() => {
      if (this.#inFlight === next) this.#inFlight = null;
    });
  }

  /** Wakes the loop early (a release finished, the subscription changed). */
  nudge(): void {
    this.#wake?.();
  }

  /** Whether `eachBatch`'s `heartbeat()` should send one now. */
  due(): boolean {
    return this.#now() - this.#lastOk >= this.#intervalMs;
  }

  /**
   * Commits as the member. A heartbeat may move the epoch between reading it and committing: a stale epoch is
   * retried once with the new one. Losing membership meanwhile means the partitions are someone else's now.
   */
  async commit(offsets: readonly CommittedOffset[]): Promise<void> {
    if (offsets.length === 0 || this.#epoch === JOIN_GROUP_EPOCH) return;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#store.commitOffsets(this.#config.groupId, offsets, {
          memberId: this.memberId,
          memberEpoch: this.#epoch,
        });
        return;
      } catch (error) {
        if (isEdgeLogError(error) && error.code === "STALE_MEMBER_EPOCH" && attempt === 0) continue;
        throw error;
      }
    }
  }

  async #run(): Promise<void> {
    let failures = 0;
    let lastError: unknown = null;
    while (this.#running) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(
          resolve,
          // A throttled heartbeat waits at least its Retry-After (capped by the retry options).
          failures === 0 ? this.#intervalMs : retryDelayMs(lastError, failures, this.#config.retry),
        );
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
      if (!this.#running) return;
      try {
        await this.beat();
        failures = 0;
      } catch (error) {
        if (!isRetriable(error)) {
          this.#host.crash(error);
          return;
        }
        failures++;
        lastError = error;
        // Unheard for a whole session: the coordinator has removed us and handed our partitions on.
        if (this.#now() - this.#lastOk >= this.#sessionTimeoutMs && this.#epoch !== JOIN_GROUP_EPOCH) {
          await this.#lose();
        }
      }
    }
  }

  async #beatOnce(): Promise<void> {
    if (!this.#running) return;
    const topics = await this.#host.subscribedTopics();
    const topicsKey = topics.join("\u0000");
    const joining = this.#epoch === JOIN_GROUP_EPOCH;
    let response: GroupHeartbeatResponse;
    try {
      response = await this.#store.groupHeartbeat(this.#config.groupId, {
        memberId: this.memberId,
        memberEpoch: this.#epoch,
        ...(joining || topicsKey !== this.#sentTopics ? { topics } : {}),
        ...(joining
          ? {
              sessionTimeoutMs: this.#config.sessionTimeoutMs,
              rebalanceTimeoutMs: this.#config.rebalanceTimeoutMs,
              ...(this.#config.serverAssignor === undefined
                ? {}
                : { serverAssignor: this.#config.serverAssignor }),
              ...(this.#config.clientId === undefined ? {} : { clientId: this.#config.clientId }),
            }
          : { ownedPartitions: this.#host.ownedPartitions() }),
      });
    } catch (error) {
      if (
        isEdgeLogError(error) &&
        (error.code === "FENCED_MEMBER_EPOCH" || error.code === "UNKNOWN_MEMBER_ID")
      ) {
        // KIP-848: drop every partition without committing, then rejoin with epoch 0 straight away.
        await this.#lose();
        this.nudge();
        return;
      }
      throw error;
    }
    if (!this.#running) return;
    this.#sentTopics = topicsKey;
    this.#epoch = response.memberEpoch;
    this.#intervalMs = response.heartbeatIntervalMs;
    this.#sessionTimeoutMs = response.sessionTimeoutMs;
    this.#lastOk = this.#now();
    await this.#host.assign(response.assignment);
  }

  /** Out of the group (fenced, removed, or silent too long): the consumer drops its partitions; next, a join. */
  async #lose(): Promise<void> {
    this.#forget();
    await this.#host.lose();
  }

  /** The next heartbeat joins afresh, naming the subscription again. */
  #forget(): void {
    this.#epoch = JOIN_GROUP_EPOCH;
    this.#sentTopics = null;
  }
}
