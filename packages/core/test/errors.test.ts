import { describe, expect, it } from "vitest";
import { EdgeLogError, isEdgeLogError, isErrorCode, isRetriable } from "../src/index.ts";
import { HTTP_STATUS_BY_CODE, httpStatusFor } from "../src/store-kit/index.ts";

describe("EdgeLogError", () => {
  it("carries a code, retriability from Kafka's table, context and cause", () => {
    const cause = new Error("disk");
    const error = new EdgeLogError("NOT_LEADER_OR_FOLLOWER", "moved", {
      context: { topic: "t", partition: 1 },
      cause,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: "EdgeLogError",
      code: "NOT_LEADER_OR_FOLLOWER",
      retriable: true,
      message: "moved",
    });
    expect(error.context).toEqual({ topic: "t", partition: 1 });
    expect(error.cause).toBe(cause);
    expect(isEdgeLogError(error)).toBe(true);
    expect(isRetriable(error)).toBe(true);
    expect(new EdgeLogError("OFFSET_OUT_OF_RANGE", "x").retriable).toBe(false);
    expect(new EdgeLogError("OFFSET_OUT_OF_RANGE", "x", { retriable: true }).retriable).toBe(true);
    expect(isRetriable(new Error("plain"))).toBe(false);
  });

  it("round-trips through the HTTP error body shape", () => {
    const error = new EdgeLogError("OUT_OF_ORDER_SEQUENCE_NUMBER", "gap", {
      context: { expectedSequence: 3 },
    });
    const body = JSON.parse(JSON.stringify({ error }));
    expect(body).toEqual({
      error: { code: "OUT_OF_ORDER_SEQUENCE_NUMBER", message: "gap", expectedSequence: 3 },
    });
    const back = EdgeLogError.fromJSON(body.error);
    expect(back).toMatchObject({
      code: "OUT_OF_ORDER_SEQUENCE_NUMBER",
      message: "gap",
      context: { expectedSequence: 3 },
    });
    expect(EdgeLogError.fromJSON({ nonsense: true }).code).toBe("UNKNOWN_SERVER_ERROR");
    expect(isErrorCode("INVALID_TOPIC")).toBe(true);
    expect(isErrorCode("toString")).toBe(false);
  });
});

describe("HTTP status table", () => {
  it("gives the statuses fixed by docs/http-api.md", () => {
    expect({
      INVALID_REQUEST: httpStatusFor("INVALID_REQUEST"),
      INVALID_TOPIC: httpStatusFor("INVALID_TOPIC"),
      INVALID_PARTITIONS: httpStatusFor("INVALID_PARTITIONS"),
      INVALID_RECORD: httpStatusFor("INVALID_RECORD"),
      MESSAGE_TOO_LARGE: httpStatusFor("MESSAGE_TOO_LARGE"),
      UNKNOWN_TOPIC_OR_PARTITION: httpStatusFor("UNKNOWN_TOPIC_OR_PARTITION"),
      OFFSET_OUT_OF_RANGE: httpStatusFor("OFFSET_OUT_OF_RANGE"),
      TOPIC_ALREADY_EXISTS: httpStatusFor("TOPIC_ALREADY_EXISTS"),
      OUT_OF_ORDER_SEQUENCE_NUMBER: httpStatusFor("OUT_OF_ORDER_SEQUENCE_NUMBER"),
      INVALID_PRODUCER_EPOCH: httpStatusFor("INVALID_PRODUCER_EPOCH"),
      FENCED_MEMBER_EPOCH: httpStatusFor("FENCED_MEMBER_EPOCH"),
      UNKNOWN_MEMBER_ID: httpStatusFor("UNKNOWN_MEMBER_ID"),
      GROUP_ID_NOT_FOUND: httpStatusFor("GROUP_ID_NOT_FOUND"),
      AUTHENTICATION_FAILED: httpStatusFor("AUTHENTICATION_FAILED"),
      TOPIC_AUTHORIZATION_FAILED: httpStatusFor("TOPIC_AUTHORIZATION_FAILED"),
      GROUP_AUTHORIZATION_FAILED: httpStatusFor("GROUP_AUTHORIZATION_FAILED"),
      CLUSTER_AUTHORIZATION_FAILED: httpStatusFor("CLUSTER_AUTHORIZATION_FAILED"),
      THROTTLING_QUOTA_EXCEEDED: httpStatusFor("THROTTLING_QUOTA_EXCEEDED"),
      NOT_LEADER_OR_FOLLOWER: httpStatusFor("NOT_LEADER_OR_FOLLOWER"),
      LEADER_NOT_AVAILABLE: httpStatusFor("LEADER_NOT_AVAILABLE"),
      ELECTION_NOT_NEEDED: httpStatusFor("ELECTION_NOT_NEEDED"),
      ELIGIBLE_LEADERS_NOT_AVAILABLE: httpStatusFor("ELIGIBLE_LEADERS_NOT_AVAILABLE"),
      NOT_CONTROLLER: httpStatusFor("NOT_CONTROLLER"),
      NOT_FOUND: httpStatusFor("NOT_FOUND"),
    }).toEqual({
      INVALID_REQUEST: 400,
      INVALID_TOPIC: 400,
      INVALID_PARTITIONS: 400,
      INVALID_RECORD: 400,
      MESSAGE_TOO_LARGE: 413,
      UNKNOWN_TOPIC_OR_PARTITION: 404,
      OFFSET_OUT_OF_RANGE: 416,
      TOPIC_ALREADY_EXISTS: 409,
      OUT_OF_ORDER_SEQUENCE_NUMBER: 409,
      INVALID_PRODUCER_EPOCH: 403,
      FENCED_MEMBER_EPOCH: 409,
      UNKNOWN_MEMBER_ID: 404,
      GROUP_ID_NOT_FOUND: 404,
      AUTHENTICATION_FAILED: 401,
      TOPIC_AUTHORIZATION_FAILED: 403,
      GROUP_AUTHORIZATION_FAILED: 403,
      CLUSTER_AUTHORIZATION_FAILED: 403,
      THROTTLING_QUOTA_EXCEEDED: 429,
      NOT_LEADER_OR_FOLLOWER: 503,
      LEADER_NOT_AVAILABLE: 503,
      ELECTION_NOT_NEEDED: 409,
      ELIGIBLE_LEADERS_NOT_AVAILABLE: 409,
      NOT_CONTROLLER: 503,
      NOT_FOUND: 404,
    });
  });

  it("maps every code to an error status", () => {
    for (const status of Object.values(HTTP_STATUS_BY_CODE)) {
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(600);
    }
  });
});
