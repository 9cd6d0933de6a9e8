import { describe, expect, it } from "vitest";
import { errorOf } from "./api-error.ts";

const answer = (status: number, body: string) =>
  new Response(body, { status, headers: { "content-type": "application/json" } });

describe("errorOf", () => {
  it("keeps the server's code, message and context", async () => {
    const error = await errorOf(
      answer(
        413,
        JSON.stringify({
          error: { code: "MESSAGE_TOO_LARGE", message: "record 0 is too large", limit: 1024, actual: 2048 },
        }),
      ),
    );
    expect(error.code).toBe("MESSAGE_TOO_LARGE");
    expect(error.message).toBe("record 0 is too large");
    expect(error.context).toEqual({ limit: 1024, actual: 2048 });
  });

  it("keeps the message of a code it does not know, and the status of a body that is no error", async () => {
    const unknown = await errorOf(answer(500, '{"error":{"code":"NEWER_CODE","message":"later"}}'));
    expect([unknown.code, unknown.message]).toEqual(["UNKNOWN_SERVER_ERROR", "later"]);
    const html = await errorOf(new Response("<html>bad gateway</html>", { status: 502 }));
    expect([html.code, html.message]).toEqual(["UNKNOWN_SERVER_ERROR", "HTTP 502"]);
    const proto = await errorOf(answer(400, '{"error":{"code":"__proto__","message":"x"}}'));
    expect(proto.code).toBe("UNKNOWN_SERVER_ERROR");
  });
});
