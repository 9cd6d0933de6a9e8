/**
 * @module
 * How everyone reaches "the controller": the store, `GroupObject`, a `PartitionObject` changing its in-sync set.
 * The controller is one `TopicsObject` per region of the deployment's `REGIONS` (`controller/proposer.ts` keeps
 * them in agreement); a call goes to the first replica in `REGIONS` order and moves on to the next when one is
 * unreachable (the fault switch says its region is cut off), does not answer in time, or answers `NOT_CONTROLLER`
 * (it could not reach a majority, or has not joined the quorum yet). With one region this is exactly the one call
 * to `${prefix}topics` it always was: no switch check, no timer.
 */
import { EdgeLogError } from "@edgelog/core";
import type { EdgeLogEnv } from "../env.ts";
import { controllerObjectName, parseRegions } from "../names.ts";
import { assertReachable } from "../replication/fault-switch.ts";
import { errorFromRpc, type RpcResult, unwrap } from "../rpc-result.ts";
import type { TopicsObject } from "../topics-object.ts";
import { MAX_CONTROLLER_REPLICAS } from "./proposer.ts";

/** Which controller replica a call is meant for: its namespace and region (an object does not know its name). */
export interface ControllerRef {
  readonly prefix: string;
  readonly region: string;
}

export type ControllerStub = DurableObjectStub<TopicsObject>;

/** How long a read or a change waits for one replica before asking the next. */
export const CONTROLLER_TIMEOUT_MS = 5_000;
/** How long a change that configures or destroys partition objects (create, grow, delete) waits for one replica. */
export const CONTROLLER_CONFIGURE_TIMEOUT_MS = 30_000;

/** What a call does, which sets how long one replica may take: a configure reaches many partition objects. */
export type ControllerCallKind = "read" | "change" | "configure";

export type ControllerEnv = Pick<EdgeLogEnv, "TOPICS" | "REGIONS" | "EDGELOG_FAULTS">;

/**
 * The regions with a controller replica: the deployment's `REGIONS`, in order (ballots number at most
 * `MAX_CONTROLLER_REPLICAS` replicas; Cloudflare has far fewer location hints).
 */
export function controllerRegions(env: Pick<EdgeLogEnv, "REGIONS">): string[] {
  return parseRegions(env.REGIONS).slice(0, MAX_CONTROLLER_REPLICAS);
}

/** The controller replicas of a namespace, in `REGIONS` order (the first keeps the name `${prefix}topics`). */
export function controllerRefs(env: Pick<EdgeLogEnv, "REGIONS">, prefix: string): ControllerRef[] {
  return controllerRegions(env).map((region) => ({ prefix, region }));
}

export function controllerStub(env: ControllerEnv, ref: ControllerRef, index: number): ControllerStub {
  const name = controllerObjectName(ref.prefix, ref.region, index);
  if (index === 0) return env.TOPICS.getByName(name);
  // The location hint is honoured when the object is first created: each replica lives in its own region.
  return env.TOPICS.get(env.TOPICS.idFromName(name), {
    locationHint: ref.region as DurableObjectLocationHint,
  });
}

/**
 * Runs `call` on the first controller replica that answers. `kind` sets how long one replica may take. A change
 * that timed out on one replica may still complete there; the next replica then answers as a retry would be
 * answered (the topic exists, the region already leads).
 */
export async function askController<T>(
  env: ControllerEnv,
  prefix: string,
  call: (stub: ControllerStub, ref: ControllerRef) => Promise<RpcResult<T>>,
  kind: ControllerCallKind = "read",
): Promise<T> {
  const refs = controllerRefs(env, prefix);
  const [only] = refs;
  if (refs.length === 1 && only !== undefined) return unwrap(await call(controllerStub(env, only, 0), only));
  const failures: string[] = [];
  for (const [index, ref] of refs.entries()) {
    let result: RpcResult<T>;
    try {
      assertReachable(env, prefix, ref.region);
      const timeoutMs = kind === "configure" ? CONTROLLER_CONFIGURE_TIMEOUT_MS : CONTROLLER_TIMEOUT_MS;
      result = await withTimeout(call(controllerStub(env, ref, index), ref), timeoutMs, ref.region);
    } catch (error) {
      // Not an answer (cut off, timed out, the call itself failed): the next replica may answer.
      failures.push(`${ref.region}: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    // An answer is final — unless this replica could not reach a majority, which another one may.
    if (result.ok || result.error.code !== "NOT_CONTROLLER") return unwrap(result);
    failures.push(`${ref.region}: ${errorFromRpc(result.error).message}`);
  }
  throw new EdgeLogError("NOT_CONTROLLER", `no controller replica could answer (${failures.join("; ")})`, {
    context: { replicas: refs.length },
  });
}

/** `promise`, or REQUEST_TIMED_OUT after `ms` (the promise is left to settle on its own). */
export function withTimeout<T>(promise: Promise<T>, ms: number, region: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new EdgeLogError(
            "REQUEST_TIMED_OUT",
            `the controller replica in ${region} did not answer in ${ms} ms`,
            {
              context: { region },
            },
          ),
        ),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}
