/**
 * @module
 * `GroupCoordinator`: runs the group state machine over a store's versioned group state, with the topic
 * metadata it needs. Each call reads the state, applies one transition and writes it back with
 * compare-and-set, retrying when another writer (another isolate, another tab) won the race — so any number of
 * coordinators may serve the same group. Stores use it to implement the consumer-group part of `LogStore`.
 */
import { EdgeLogError, isEdgeLogError } from "../errors.ts";
import type { GroupStateStore, LogStore, TopicMetadata } from "../store.ts";
import { assertValidGroupId, assertValidTopicName, unknownGroup } from "../validation.ts";
import {
  anyExpired,
  applyMembership,
  type CoordinatorConfig,
  checkCommit,
  DEFAULT_COORDINATOR_CONFIG,
  describeGroupState,
  emptyGroupState,
  expireMembers,
  type GroupState,
  heartbeatResponse,
  isGroupState,
  leaveResponse,
  nextDeadline,
  readGroupState,
  reconcileMember,
  referencedTopics,
  refreshTarget,
  type TopicSnapshot,
} from "./group-state-machine.ts";
import type {
  GroupDescription,
  GroupHeartbeatRequest,
  GroupHeartbeatResponse,
  GroupMemberRef,
  TopicPartitions,
} from "./group-types.ts";
import { LEAVE_GROUP_EPOCH } from "./group-types.ts";

/**
 * What the coordinator needs from a store: the group state it persists, and topics to assign. With
 * `listTopics`, a subscription naming many topics costs one listing instead of a lookup per name.
 */
export type GroupStatePort = GroupStateStore &
  Pick<LogStore, "getTopic"> &
  Partial<Pick<LogStore, "listTopics">>;

export interface GroupCoordinatorOptions extends Partial<CoordinatorConfig> {
  /** The clock; tests pass their own. */
  readonly now?: () => number;
  /** Told when the next member would expire after each state it wrote (`null`: no members), e.g. for an alarm. */
  readonly onWrite?: (groupId: string, nextDeadline: number | null) => void;
}

/** Compare-and-set attempts before answering the retriable `CONCURRENT_TRANSACTIONS`. */
const MAX_ATTEMPTS = 16;
const MAX_MEMBER_ID_LENGTH = 255;
/**
 * Most topics one member may subscribe to (as `/v1/wait` bounds its partitions): every heartbeat of the group
 * walks the subscriptions, so an unbounded list lets one request stall the coordinator.
 */
export const MAX_SUBSCRIBED_TOPICS = 1_000;
/** Above this many referenced names, metadata comes from one `listTopics` rather than a `getTopic` per name. */
const LOOKUPS_BEFORE_LISTING = 16;

export class GroupCoordinator {
  readonly config: CoordinatorConfig;
  readonly #port: GroupStatePort;
  readonly #now: () => number;
  readonly #onWrite: GroupCoordinatorOptions["onWrite"];

  constructor(port: GroupStatePort, options: GroupCoordinatorOptions = {}) {
    this.#port = port;
    this.#now = options.now ?? Date.now;
    this.#onWrite = options.onWrite;
    this.config = { ...DEFAULT_COORDINATOR_CONFIG, ...withoutUndefined(options) };
  }

  /** One heartbeat: join (epoch 0), stay (current epoch, maybe with an ack of revoked partitions) or leave (-1). */
  async heartbeat(groupId: string, request: GroupHeartbeatRequest): Promise<GroupHeartbeatResponse> {
    assertValidGroupId(groupId);
    validateHeartbeat(request);
    return this.#transact(groupId, request.topics ?? [], (state, topics, now) => {
      const member = applyMembership(state, groupId, request, now, this.config);
      refreshTarget(state, topics);
      if (member === null) return leaveResponse(request.memberId, this.config);
      reconcileMember(state, member, request.ownedPartitions, now);
      return heartbeatResponse(member, this.config);
    });
  }

  /**
   * Removes members whose session expired and re-targets the group; returns when the next member would expire
   * (`null`: no members), so a Durable Object can set its alarm. Nothing is written when nobody expired.
   */
  async expire(groupId: string): Promise<number | null> {
    const versioned = await this.#port.getGroupState(groupId);
    if (versioned === null) return null;
    const peek = readGroupState(groupId, versioned.state);
    if (!anyExpired(peek, this.#now())) return nextDeadline(peek);
    return this.#transact(groupId, [], (state) => nextDeadline(state));
  }

  /** The group as of now (expired members left out), or `null` when it has no coordinator state. */
  async describe(groupId: string): Promise<GroupDescription | null> {
    const versioned = await this.#port.getGroupState(groupId);
    if (versioned === null) return null;
    const state = readGroupState(groupId, versioned.state);
    expireMembers(state, this.#now());
    return describeGroupState(groupId, state);
  }

  /**
   * The description a store answers: the coordinator's view, or an empty group when only offsets exist;
   * `GROUP_ID_NOT_FOUND` when there is neither.
   */
  async describeForStore(groupId: string, hasOffsets: () => Promise<boolean>): Promise<GroupDescription> {
    const described = await this.describe(groupId);
    if (described !== null) return described;
    if (await hasOffsets()) return describeGroupState(groupId, emptyGroupState());
    throw unknownGroup(groupId);
  }

  /** `NON_EMPTY_GROUP` while the group has members: deleting it would strand them. */
  async assertDeletable(groupId: string): Promise<void> {
    const versioned = await this.#port.getGroupState(groupId);
    // State another component keeps under this id (the offline log's outbox) has no members to strand.
    if (!isGroupState(versioned?.state)) return;
    const state = readGroupState(groupId, versioned?.state);
    expireMembers(state, this.#now());
    const count = Object.keys(state.members).length;
    if (count > 0) {
      throw new EdgeLogError(
        "NON_EMPTY_GROUP",
        `group "${groupId}" has ${count} active member(s); stop them first`,
        {
          context: { groupId },
        },
      );
    }
  }

  /** Throws unless an offset commit by `member` (or by an admin, without one) may go ahead now. */
  async checkCommit(groupId: string, member: GroupMemberRef | undefined): Promise<void> {
    const versioned = await this.#port.getGroupState(groupId);
    const state = readGroupState(groupId, versioned?.state);
    expireMembers(state, this.#now());
    checkCommit(state, groupId, member);
  }

  /** When the group's next member would expire, or `null`. */
  async nextDeadline(groupId: string): Promise<number | null> {
    const versioned = await this.#port.getGroupState(groupId);
    return versioned === null ? null : nextDeadline(readGroupState(groupId, versioned.state));
  }

  /**
   * Read, expire, apply, compare-and-set; again when another writer won. A state handed to `putGroupState` is
   * never touched again (a retry reads afresh), so a store may keep it without copying.
   */
  async #transact<T>(
    groupId: string,
    extraTopics: readonly string[],
    apply: (state: GroupState, topics: ReadonlyMap<string, TopicSnapshot>, now: number) => T,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const versioned = await this.#port.getGroupState(groupId);
      const state = readGroupState(groupId, versioned?.state);
      const now = this.#now();
      expireMembers(state, now);
      const topics = await this.#snapshot(referencedTopics(state, extraTopics));
      const result = apply(state, topics, now);
      try {
        await this.#port.putGroupState(groupId, state, versioned?.version ?? null);
        this.#onWrite?.(groupId, nextDeadline(state));
        return result;
      } catch (error) {
        if (!isEdgeLogError(error) || error.code !== "CONCURRENT_TRANSACTIONS" || attempt >= MAX_ATTEMPTS)
          throw error;
      }
    }
  }

  /**
   * Metadata of the named topics that exist. Names of topics that do not exist cost nothing beyond a set
   * lookup once there are many: the listing is proportional to the topics that exist, not to the names.
   */
  async #snapshot(names: readonly string[]): Promise<Map<string, TopicSnapshot>> {
    const listTopics = this.#port.listTopics?.bind(this.#port);
    let found: (TopicMetadata | null)[];
    if (listTopics !== undefined && names.length > LOOKUPS_BEFORE_LISTING) {
      const wanted = new Set(names);
      found = (await listTopics()).filter((topic) => wanted.has(topic.name));
    } else {
      found = await Promise.all(names.map((name) => this.#port.getTopic(name)));
    }
    const snapshot = new Map<string, TopicSnapshot>();
    for (const topic of found) {
      if (topic !== null) snapshot.set(topic.name, { topicId: topic.topicId, partitions: topic.partitions });
    }
    return snapshot;
  }
}

/** Input checks shared by every transport: a bad request is `INVALID_REQUEST`, never a corrupted group. */
export function validateHeartbeat(request: GroupHeartbeatRequest): void {
  const { memberId, memberEpoch } = request ?? {};
  if (typeof memberId !== "string" || memberId.length === 0 || memberId.length > MAX_MEMBER_ID_LENGTH) {
    throw invalid(`\`memberId\` must be a string of 1..${MAX_MEMBER_ID_LENGTH} characters`);
  }
  if (
    typeof memberEpoch !== "number" ||
    !Number.isSafeInteger(memberEpoch) ||
    memberEpoch < LEAVE_GROUP_EPOCH
  ) {
    throw invalid("`memberEpoch` must be an integer ≥ -1 (0 joins, -1 leaves)");
  }
  if (request.topics !== undefined) {
    if (!Array.isArray(request.topics) || !request.topics.every((t) => typeof t === "string")) {
      throw invalid("`topics` must be an array of topic names");
    }
    if (request.topics.length > MAX_SUBSCRIBED_TOPICS) {
      throw invalid(`a subscription names at most ${MAX_SUBSCRIBED_TOPICS} topics`);
    }
    for (const topic of request.topics) assertValidTopicName(topic);
  }
  if (request.ownedPartitions !== undefined)
    validatePartitionList(request.ownedPartitions, "ownedPartitions");
  for (const field of ["sessionTimeoutMs", "rebalanceTimeoutMs"] as const) {
    const value = request[field];
    if (value !== undefined && (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)) {
      throw invalid(`\`${field}\` must be a non-negative integer`);
    }
  }
  for (const field of ["serverAssignor", "clientId"] as const) {
    const value = request[field];
    if (value !== undefined && typeof value !== "string") throw invalid(`\`${field}\` must be a string`);
  }
}

export function validatePartitionList(list: unknown, field: string): asserts list is TopicPartitions[] {
  const ok =
    Array.isArray(list) &&
    list.every(
      (entry: unknown) =>
        typeof entry === "object" &&
        entry !== null &&
        typeof (entry as TopicPartitions).topic === "string" &&
        Array.isArray((entry as TopicPartitions).partitions) &&
        (entry as TopicPartitions).partitions.every((p) => Number.isSafeInteger(p) && p >= 0),
    );
  if (!ok) throw invalid(`\`${field}\` must be an array of { topic, partitions: [non-negative integers] }`);
}

function invalid(message: string): EdgeLogError {
  return new EdgeLogError("INVALID_REQUEST", message);
}

function withoutUndefined(options: GroupCoordinatorOptions): Partial<CoordinatorConfig> {
  const { now: _now, onWrite: _onWrite, ...rest } = options;
  return Object.fromEntries(
    Object.entries(rest).filter(([, v]) => v !== undefined),
  ) as Partial<CoordinatorConfig>;
}
