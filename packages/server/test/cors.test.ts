/**
 * @module
 * The one CORS rule, on /v1 and /ds alike: exact origins from `ALLOWED_ORIGINS`, `*` only when configured,
 * `Vary: Origin` whenever the answer depends on the origin, a cached preflight, never credentials.
 */
import { MemoryStore } from "@edgelog/core";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";

const ALLOWED = "https://app.example";

function appWith(allowedOrigins: string | undefined) {
  const app = createApp({ auth: "none", store: () => new MemoryStore() });
  const env = allowedOrigins === undefined ? {} : { ALLOWED_ORIGINS: allowedOrigins };
  return (path: string, init: RequestInit = {}) => app.request(path, init, env);
}

const preflight = (origin: string, method = "POST"): RequestInit => ({
  method: "OPTIONS",
  headers: {
    Origin: origin,
    "Access-Control-Request-Method": method,
    "Access-Control-Request-Headers": "content-type, authorization",
  },
});

const corsHeaders = (res: Response) =>
  [...res.headers.keys()].filter((name) => name.startsWith("access-control-"));

/** One path of each surface: the /v1 API and a Durable Stream. */
const PATHS = ["/v1/topics", "/ds/some-stream"];

describe("CORS with a list of origins", () => {
  const request = appWith(` ${ALLOWED} , https://other.example`);

  for (const path of PATHS) {
    it(`${path}: an allowed origin's preflight is cached and allows Authorization`, async () => {
      const res = await request(path, preflight(ALLOWED));
      expect(res.status).toBe(204);
      expect(res.headers.get("Access-Control-Allow-Origin")).toBe(ALLOWED);
      expect(res.headers.get("Vary")).toContain("Origin");
      expect(res.headers.get("Access-Control-Max-Age")).toBe("600");
      const allowed = (res.headers.get("Access-Control-Allow-Headers") ?? "").toLowerCase().split(", ");
      expect(allowed).toEqual(expect.arrayContaining(["authorization", "content-type"]));
      expect(res.headers.get("Access-Control-Allow-Methods")).toContain("DELETE");
      expect(res.headers.get("Access-Control-Allow-Credentials")).toBeNull();
    });

    it(`${path}: an origin not on the list (nor a near miss) gets no CORS headers, preflight or not`, async () => {
      for (const origin of [
        "https://evil.example",
        "http://app.example",
        "https://app.example.evil.example",
        "https://app.example:8443",
        "null",
      ]) {
        for (const init of [preflight(origin), { headers: { Origin: origin } }]) {
          const res = await request(path, init);
          expect(corsHeaders(res), origin).toEqual([]);
          // The answer depends on the origin, so a shared cache must key on it.
          expect(res.headers.get("Vary"), origin).toContain("Origin");
        }
      }
    });
  }

  it("echoes the allowed origin on answers (errors included) and exposes the offset headers", async () => {
    const res = await request("/v1/topics/missing", { headers: { Origin: ALLOWED } });
    expect(res.status).toBe(404);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe(ALLOWED);
    expect(res.headers.get("Vary")).toContain("Origin");
    expect(res.headers.get("Access-Control-Expose-Headers")).toContain("Edgelog-High-Watermark");
    expect(res.headers.get("Access-Control-Allow-Credentials")).toBeNull();
  });
});

describe("CORS with *", () => {
  const request = appWith("*");

  for (const path of PATHS) {
    it(`${path}: allows any origin with a literal *, never with credentials`, async () => {
      for (const init of [
        preflight("https://anywhere.example"),
        { headers: { Origin: "https://x.example" } },
      ]) {
        const res = await request(path, init);
        expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
        expect(res.headers.get("Access-Control-Allow-Credentials")).toBeNull();
        // Nothing varies by origin under `*`.
        expect(res.headers.get("Vary") ?? "").not.toContain("Origin");
      }
    });
  }
});

describe("CORS unconfigured", () => {
  it("allows no origin when ALLOWED_ORIGINS is unset or empty (* only when configured)", async () => {
    for (const configured of [undefined, "", " , "]) {
      const request = appWith(configured);
      for (const path of PATHS) {
        for (const init of [preflight(ALLOWED), { headers: { Origin: ALLOWED } }]) {
          expect(corsHeaders(await request(path, init)), `${configured} ${path}`).toEqual([]);
        }
      }
    }
  });
});
