/**
 * @module
 * `ShareGroupObject`: one Durable Object per share group (KIP-932) — its coordinator. It runs core's
 * `ShareCoordinator` over its own SQLite (`share-state-sql.ts`), so every request of the group is serialised here,
 * and reads and writes records through the namespace's `DurableObjectLogStore` (partitions, the dead-letter topic).
 * Its alarm does what no request brings: locks and sessions that ran out, dead-letter copies to retry. A group
 * registers itself with `TopicsObject` before its first write, so `listShareGroups` finds it.
 */
import { DurableObject } from "cloudflare:workers";
import {
  EdgeLogError,
  type ShareFetchRequest,
  type ShareFetchResponse,
  type ShareGroupConfig,
  type ShareGroupDescription,
} from "@edgelog/core";
import { ShareCoordinator } from "@edgelog/core/store-kit";
import { askController } from "./controller/reach-controller.ts";
import { DurableObjectLogStore } from "./durable-object-log-store.ts";
import type { EdgeLogEnv } from "./env.ts";
import { type RpcResult, toResult } from "./rpc-result.ts";
import { type ShareGroupRef, SqlShareState } from "./share-state-sql.ts";

export type { ShareGroupRef } from "./share-state-sql.ts";

export class ShareGroupObject extends DurableObject<EdgeLogEnv> {
  readonly #state: SqlShareState;
  /** The group as the request in progress (or the stored row, for the alarm) names it. */
  #ref: ShareGroupRef | null = null;
  #coordinator: ShareCoordinator | null = null;
  /** When the group next needs attention, as the coordinator's last write left it. */
  #deadline: number | null | undefined;
  /** Fetches waiting for records, by the id their caller gave, so the caller can end them. */
  readonly #waits = new Map<string, AbortController>();
  #registered = false;

  constructor(ctx: DurableObjectState, env: EdgeLogEnv) {
    super(ctx, env);
    this.#state = new SqlShareState(
      ctx.storage,
      () => this.#current(),
      () => this.#register(),
    );
    this.#ref = this.#state.storedRef();
  }

  /** One share fetch; `waitId` lets the caller end a long-poll it gave up on (`cancelShareFetch`). */
  async shareFetch(
    ref: ShareGroupRef,
    request: ShareFetchRequest,
    waitId?: string,
  ): Promise<RpcResult<ShareFetchResponse>> {
    return this.#run(ref, async (coordinator) => {
      const controller = new AbortController();
      if (waitId !== undefined) this.#waits.set(waitId, controller);
      try {
        return await coordinator.fetch(ref.groupId, request, controller.signal);
      } finally {
        if (waitId !== undefined) this.#waits.delete(waitId);
      }
    });
  }

  /** Ends a waiting fetch whose caller gave up: it acquires nothing more. */
  async cancelShareFetch(waitId: string): Promise<void> {
    this.#waits
      .get(waitId)
      ?.abort(new EdgeLogError("REQUEST_TIMED_OUT", "the caller gave up the share fetch"));
  }

  async describe(ref: ShareGroupRef): Promise<RpcResult<ShareGroupDescription>> {
    return this.#run(ref, (coordinator) => coordinator.describe(ref.groupId));
  }

  async alterConfig(
    ref: ShareGroupRef,
    changes: Record<string, unknown>,
  ): Promise<RpcResult<ShareGroupConfig>> {
    return this.#run(ref, (coordinator) => coordinator.alterConfig(ref.groupId, changes));
  }

  async deleteGroup(ref: ShareGroupRef): Promise<RpcResult<null>> {
    return this.#run(ref, async (coordinator) => {
      await coordinator.delete(ref.groupId);
      await askController(
        this.env,
        ref.prefix,
        (topics, at) => topics.unregisterShareGroup(at, ref.groupId),
        "change",
      );
      this.#registered = false;
      return null;
    });
  }

  /** Locks and sessions that ran out, dead-letter copies owed: done now, then the next deadline armed. */
  override async alarm(): Promise<void> {
    const ref = this.#state.storedRef();
    if (ref === null) return;
    this.#ref = ref;
    const next = await this.#coordinatorFor(ref).expire(ref.groupId);
    this.#deadline = undefined;
    await this.#arm(next);
  }

  /** Runs a call for `ref`, then arms the alarm for what its writes left to watch. */
  async #run<T>(
    ref: ShareGroupRef,
    call: (coordinator: ShareCoordinator) => Promise<T>,
  ): Promise<RpcResult<T>> {
    return toResult(async () => {
      this.#ref = ref;
      const coordinator = this.#coordinatorFor(ref);
      try {
        return await call(coordinator);
      } finally {
        const next = this.#deadline;
        this.#deadline = undefined;
        if (next !== undefined) await this.#arm(next);
      }
    });
  }

  #coordinatorFor(ref: ShareGroupRef): ShareCoordinator {
    if (this.#coordinator === null) {
      // Records are read and dead letters written as any Worker would: through the namespace's store.
      const log = new DurableObjectLogStore(this.env, { namespacePrefix: ref.prefix });
      this.#coordinator = new ShareCoordinator(this.#state, log, {
        onWrite: (_groupId, next) => {
          this.#deadline = next;
        },
      });
    }
    return this.#coordinator;
  }

  #current(): ShareGroupRef {
    if (this.#ref === null) throw new Error("ShareGroupObject: no share group named yet");
    return this.#ref;
  }

  async #arm(deadline: number | null): Promise<void> {
    if (deadline === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(deadline);
  }

  /** Tells the controller this group exists, before its state is first written (idempotent). */
  async #register(): Promise<void> {
    if (this.#registered) return;
    const ref = this.#current();
    await askController(
      this.env,
      ref.prefix,
      (topics, at) => topics.registerShareGroup(at, ref.groupId),
      "change",
    );
    this.#registered = true;
  }
}
