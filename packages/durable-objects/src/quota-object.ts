/**
 * @module
 * `QuotaObject`: one Durable Object per quota subject (`idFromName`), holding that subject's token buckets
 * (requests, produce bytes) and granting leases from them with core's `grantLease`. Worker isolates call it only
 * when the allowance they hold for the subject runs out (`leasedQuotaGate` in `@edgelog/server`), so its load is
 * a fraction of the subject's requests. The buckets live in memory only: an object is evicted only after being
 * idle, by which time its buckets would have refilled anyway, so forgetting them costs nothing.
 */
import { DurableObject } from "cloudflare:workers";
import { grantLease, type LeaseAnswer, type LeaseRequest, type QuotaBuckets } from "@edgelog/core/store-kit";
import { quotaObjectName } from "./names.ts";
import { type RpcResult, toResult, unwrap } from "./rpc-result.ts";

export class QuotaObject extends DurableObject {
  readonly #buckets: QuotaBuckets = {};

  /** Grants `request` from this subject's buckets, or says how long until its need fits. */
  async lease(request: LeaseRequest): Promise<RpcResult<LeaseAnswer>> {
    return toResult(() => grantLease(this.#buckets, request, Date.now()));
  }
}

/** Asks a subject's `QuotaObject` for leases: the leaser `leasedQuotaGate` takes, over the `QUOTAS` binding. */
export function quotaObjectLeaser(
  namespace: DurableObjectNamespace<QuotaObject>,
  prefix = "",
): (subject: string, request: LeaseRequest) => Promise<LeaseAnswer> {
  return async (subject, request) => {
    const stub = namespace.get(namespace.idFromName(quotaObjectName(prefix, subject)));
    return unwrap(await stub.lease(request));
  };
}
