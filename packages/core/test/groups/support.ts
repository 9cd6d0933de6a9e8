// A group-state port over plain maps with a hand-driven clock, so coordinator tests run thousands of
// transitions quickly and deterministically.

import type { GroupStatePort } from "../../src/groups/group-coordinator.ts";
import { GroupCoordinator, type GroupCoordinatorOptions } from "../../src/groups/group-coordinator.ts";
import type { TopicMetadata, VersionedGroupState } from "../../src/store.ts";
import { nextGroupStateVersion } from "../../src/store-kit/group-state.ts";
import { DEFAULT_TOPIC_CONFIG } from "../../src/topic-config.ts";

export class FakeGroupWorld implements GroupStatePort {
  now = 1_000_000;
  readonly topics = new Map<string, TopicMetadata>();
  readonly states = new Map<string, VersionedGroupState>();
  #nextTopicId = 1;

  coordinator(options: GroupCoordinatorOptions = {}): GroupCoordinator {
    return new GroupCoordinator(this, { now: () => this.now, ...options });
  }

  createTopic(name: string, partitions: number): void {
    this.topics.set(name, {
      name,
      topicId: `t${this.#nextTopicId++}`,
      partitions,
      config: DEFAULT_TOPIC_CONFIG,
      createdAt: this.now,
    });
  }

  growTopic(name: string, partitions: number): void {
    const topic = this.topics.get(name);
    if (topic !== undefined) this.topics.set(name, { ...topic, partitions });
  }

  async getTopic(name: string): Promise<TopicMetadata | null> {
    return this.topics.get(name) ?? null;
  }

  async getGroupState(groupId: string): Promise<VersionedGroupState | null> {
    const found = this.states.get(groupId);
    return found === undefined ? null : structuredClone(found);
  }

  async putGroupState(groupId: string, state: unknown, expectedVersion: number | null): Promise<number> {
    const version = nextGroupStateVersion(
      groupId,
      this.states.get(groupId)?.version ?? null,
      expectedVersion,
    );
    this.states.set(groupId, { state: structuredClone(state), version });
    return version;
  }
}

/** The code a promise rejects with (`"ok"` when it resolves), for one-line expectations. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (error) {
    return typeof error === "object" && error !== null && "code" in error
      ? String(error.code)
      : String(error);
  }
}
