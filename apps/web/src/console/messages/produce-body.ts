/**
 * @module
 * The produce form's fields as a `POST /v1/topics/{t}/records` body with one record. What the server would refuse
 * anyway and the form can tell — a value that is not JSON, a header named twice — is refused here, before
 * anything is sent. Headers go through a `Map`: a header may be called `__proto__`.
 */
import { EdgeLogError } from "@edgelog/core";

export type ValueKind = "json" | "text";

export interface ProduceFields {
  /** Empty: no key. */
  readonly key: string;
  readonly value: string;
  readonly kind: ValueKind;
  /** Rows with an empty name are ignored (a row added and left blank). */
  readonly headers: readonly { name: string; value: string }[];
  /** `null`: the server picks (the key's hash, as Kafka's client). */
  readonly partition: number | null;
}

/** The request body for the form's fields; throws `INVALID_RECORD` for what the server would refuse anyway. */
export function produceBody(fields: ProduceFields): unknown {
  let value: unknown = fields.value;
  if (fields.kind === "json") {
    try {
      value = JSON.parse(fields.value);
    } catch (error) {
      throw new EdgeLogError(
        "INVALID_RECORD",
        `The value is not JSON (${(error as Error).message}). Choose "Text" to send it as text.`,
      );
    }
  }
  // Object.fromEntries makes every name an own member, `__proto__` included.
  const headers = new Map<string, string>();
  for (const { name, value: headerValue } of fields.headers) {
    if (name === "") continue;
    if (headers.has(name)) throw new EdgeLogError("INVALID_RECORD", `The header "${name}" is named twice.`);
    headers.set(name, headerValue);
  }
  return {
    records: [
      {
        key: fields.key === "" ? null : fields.key,
        value,
        ...(headers.size === 0 ? {} : { headers: Object.fromEntries(headers) }),
        ...(fields.partition === null ? {} : { partition: fields.partition }),
      },
    ],
    valueFormat: fields.kind,
  };
}
