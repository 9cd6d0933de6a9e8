/**
 * @module
 * Test harness: the app over a fresh `MemoryStore`, with a fixed clock and a deterministic keyless partition,
 * and small helpers to call it as a client would.
 */
import { MemoryStore } from "@edgelog/core";
import { expect } from "vitest";
import { type AppOptions, createApp } from "../src/app.ts";
import type { ServerEnv } from "../src/env.ts";

export const NOW = 1_764_000_000_000;

export function setup(options: Partial<AppOptions> = {}) {
  // One clock for the app and the store, so tests that move time move both (group sessions live in the store).
  const now = options.now ?? (() => NOW);
  const store = new MemoryStore({ now });
  const app = createApp({ auth: "none", store: () => store, now, random: () => 0, ...options });
  const env: ServerEnv = { ALLOWED_ORIGINS: "https://app.example" };

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body =
        typeof body === "string" || body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body);
      // Bodies are JSON unless the test says otherwise (a string is malformed JSON, say): the API refuses a
      // write of any other type with 415 before reading it (write-content-type.ts).
      const typed = Object.keys(headers).some((name) => name.toLowerCase() === "content-type");
      if (!typed && !(body instanceof Uint8Array)) {
        (init.headers as Record<string, string>)["Content-Type"] = "application/json";
      }
    }
    return app.request(path, init, env);
  }

  async function json(method: string, path: string, body?: unknown, headers?: Record<string, string>) {
    const res = await call(method, path, body, headers);
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text === "" ? undefined : JSON.parse(text) };
  }

  async function createTopic(name: string, partitions = 1, config: Record<string, number> = {}) {
    const res = await json("POST", "/v1/topics", { name, partitions, config });
    expect(res.status).toBe(201);
    return res.body;
  }

  async function produce(topic: string, body: unknown) {
    return json("POST", `/v1/topics/${topic}/records`, body);
  }

  return { app, store, env, call, json, createTopic, produce };
}

/** Asserts the fixed error shape and returns the error member. */
export function expectError(
  res: { status: number; body: unknown },
  status: number,
  code: string,
): Record<string, unknown> {
  expect(res.status).toBe(status);
  const error = (res.body as { error: Record<string, unknown> }).error;
  expect(error.code).toBe(code);
  expect(typeof error.message).toBe("string");
  return error;
}
