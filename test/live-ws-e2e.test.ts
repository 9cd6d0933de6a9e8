/**
 * The WebSocket live tail end to end: the real Worker (`wrangler dev`, tokens enforced) and `@edgelog/client` in
 * Node, then in real headless Chromium.
 *
 * - Refusals come before the upgrade, with their status (a raw upgrade request shows it): 401, 403, 404, 416.
 * - A consumer of a client with `live: "ws"` reads every record produced while it waits, and once it is live its
 *   reads cost no HTTP request: the partition pushes each commit.
 * - A tail whose token expires is closed by the partition (4401) and goes on, with a fresh token, from where it
 *   got to: no record missed or repeated.
 * - In Chromium, the offline log's `follow` waits on the upstream's WebSocket (token in `?access_token=`), and a
 *   `HttpLogStore` tail there gets records byte for byte.
 */
import { request } from "node:http";
import { createClient, HttpLogStore } from "@edgelog/client";
import { encodeBatch } from "@edgelog/core";
import { signToken } from "@edgelog/server";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleApiPage, serveApiPage } from "./support/api-page.ts";
import { CHROMIUM_LAUNCH_OPTIONS } from "./support/chromium.ts";
import { type LocalWorker, startLocalWorker } from "./support/local-worker.ts";

const SECRET = "e2e-live-ws-secret-0123456789-abcdefghij";
/** The server accepts a token this long past its `exp` (packages/server/src/auth/jwt.ts). */
const SERVER_SKEW_MS = 60_000;

let worker: LocalWorker;
let browser: Browser;
let bundle: string;
let admin: string;

const token = (scope: string, ttlSeconds = 600, now = Date.now()) =>
  signToken({ secret: SECRET, scope, ttlSeconds, now });

beforeAll(async () => {
  [worker, browser, bundle] = await Promise.all([
    startLocalWorker({ vars: { EDGELOG_JWT_SECRET: SECRET } }),
    chromium.launch(CHROMIUM_LAUNCH_OPTIONS),
    bundleApiPage(),
  ]);
  admin = await token("admin");
});

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
});

async function createTopic(name: string): Promise<void> {
  const res = await fetch(`${worker.url}/v1/topics`, {
    method: "POST",
    headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
    body: JSON.stringify({ name, partitions: 1 }),
  });
  expect(res.status).toBe(201);
}

async function produce(topic: string, values: unknown[]): Promise<void> {
  const res = await fetch(`${worker.url}/v1/topics/${topic}/records`, {
    method: "POST",
    headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
    body: JSON.stringify({ records: values.map((value) => ({ value, partition: 0 })) }),
  });
  expect(res.status).toBe(200);
}

/** The status of a raw upgrade request (a WebSocket API hides it), and the error code of its body. */
function upgradeStatus(path: string): Promise<{ status: number; code: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(`${worker.url}${path}`, {
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
      },
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, code: undefined });
    });
    req.on("response", (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          code: (JSON.parse(body) as { error: { code: string } }).error.code,
        }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the WebSocket live tail against the local Worker", () => {
  it("refuses before the upgrade: 401 without a token, 403 without consume, 404, 416; upgrades with one", async () => {
    await createTopic("ws-refusals");
    await produce("ws-refusals", [1]);
    const reader = await token("consume:ws-refusals");
    const producer = await token("produce:ws-refusals");
    const path = "/v1/topics/ws-refusals/partitions/0/records";
    expect(await upgradeStatus(path)).toEqual({ status: 401, code: "AUTHENTICATION_FAILED" });
    expect(await upgradeStatus(`${path}?access_token=${producer}`)).toEqual({
      status: 403,
      code: "TOPIC_AUTHORIZATION_FAILED",
    });
    expect(await upgradeStatus(`/v1/topics/nope/partitions/0/records?access_token=${admin}`)).toEqual({
      status: 404,
      code: "UNKNOWN_TOPIC_OR_PARTITION",
    });
    expect(await upgradeStatus(`${path}?offset=5&access_token=${reader}`)).toEqual({
      status: 416,
      code: "OFFSET_OUT_OF_RANGE",
    });
    expect((await upgradeStatus(`${path}?offset=0&access_token=${reader}`)).status).toBe(101);
  });

  it('feeds a live: "ws" consumer every record, with no HTTP request per read once it is live', async () => {
    await createTopic("ws-consume");
    let requests = 0;
    const log = createClient({
      url: worker.url,
      token: () => token("consume:ws-consume produce:ws-consume group:*"),
      live: "ws",
      fetch: (input, init) => {
        requests++;
        return fetch(input, init);
      },
      webSocket: WebSocket,
    });
    const consumer = log.consumer();
    const seen: number[] = [];
    await consumer.subscribe({ topic: "ws-consume", fromBeginning: true });
    void consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(Number(new TextDecoder().decode(message.value ?? new Uint8Array())));
      },
    });
    await produce("ws-consume", [0]);
    await expect.poll(() => seen, { timeout: 15_000 }).toEqual([0]);
    const before = requests;
    for (let i = 1; i <= 10; i++) {
      await produce("ws-consume", [i]);
      await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(i + 1);
    }
    expect(seen).toEqual(Array.from({ length: 11 }, (_, i) => i));
    // Ten records, ten pushes: the consumer's reads were answered from the socket (at most a metadata refresh).
    expect(requests - before).toBeLessThanOrEqual(2);
    await consumer.disconnect();
    await log.close();
  });

  it("closes a tail when its token expires (4401) and goes on with a fresh one, missing and repeating nothing", async () => {
    await createTopic("ws-expiry");
    let minted = 0;
    const store = new HttpLogStore({
      url: worker.url,
      // The first token is accepted for 3 more seconds only (backdated by the server's skew allowance).
      token: () =>
        minted++ === 0
          ? token("consume:ws-expiry", 3, Date.now() - SERVER_SKEW_MS)
          : token("consume:ws-expiry"),
      live: "ws",
    });
    const controller = new AbortController();
    const seen: number[] = [];
    const tail = (async () => {
      for await (const records of store.tail(
        { topic: "ws-expiry", partition: 0 },
        { offset: 0, signal: controller.signal },
      )) {
        for (const record of records) seen.push(record.offset);
      }
    })();
    await produce("ws-expiry", [0, 1]);
    await expect.poll(() => seen, { timeout: 10_000 }).toEqual([0, 1]);
    // The first socket closes at its token's end; produce across it.
    await expect.poll(() => minted, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    await produce("ws-expiry", [2]);
    await expect.poll(() => seen, { timeout: 10_000 }).toEqual([0, 1, 2]);
    controller.abort();
    await tail;
    await store.close();
  });

  it("in Chromium: the offline log follows over the WebSocket, and a tail gets exact bytes", async () => {
    await createTopic("ws-browser");
    const reader = await token("consume:ws-browser");
    // The test page is fulfilled by Playwright, so Chromium cannot tell it came from loopback and would hold its
    // sockets to 127.0.0.1 to Local Network Access checks (a page the Worker serves itself is not affected).
    const context = await browser.newContext({ permissions: ["local-network-access"] });
    await serveApiPage(context, worker.url, bundle);
    const page = await context.newPage();
    const sockets: string[] = [];
    page.on("websocket", (socket) => sockets.push(new URL(socket.url()).pathname));
    let batchReads = 0;
    page.on("request", (req) => {
      if (req.url().includes("/ws-browser/partitions/0/batches")) batchReads++;
    });
    await page.goto(`${worker.url}/__test/index.html`);
    await page.evaluate(async (jwt) => {
      const scope = globalThis as unknown as {
        edgelog: {
          openOfflineLog(
            options: unknown,
          ): Promise<{ follow(topic: string, options: unknown): Promise<void> }>;
          HttpLogStore: new (
            options: unknown,
          ) => {
            tail(tp: unknown, options: unknown): AsyncIterable<{ offset: number; key: Uint8Array | null }[]>;
          };
        };
        followed: number;
        tailed: { offset: number; key: number[] }[];
      };
      scope.followed = 0;
      scope.tailed = [];
      const log = await scope.edgelog.openOfflineLog({
        name: "ws-follow",
        upstream: { url: location.origin, token: jwt },
        sync: false,
      });
      void log.follow("ws-browser", {
        onRecords: (_partition: number, count: number) => {
          scope.followed += count;
        },
      });
      const store = new scope.edgelog.HttpLogStore({ url: location.origin, token: jwt, live: "ws" });
      void (async () => {
        for await (const records of store.tail({ topic: "ws-browser", partition: 0 }, { offset: 0 })) {
          for (const record of records)
            scope.tailed.push({ offset: record.offset, key: [...(record.key ?? [])] });
        }
      })();
    }, reader);
    await expect.poll(() => sockets.length, { timeout: 15_000 }).toBe(2);
    expect(sockets).toEqual([
      "/v1/topics/ws-browser/partitions/0/records",
      "/v1/topics/ws-browser/partitions/0/records",
    ]);
    const readsBefore = batchReads;
    // A key that is not UTF-8: the SSE tail could not carry it exactly, the socket does.
    const key = new Uint8Array([0xff, 0x00, 0xfe]);
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${worker.url}/v1/topics/ws-browser/partitions/0/batches`, {
        method: "POST",
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/vnd.edgelog.batch" },
        body: encodeBatch([
          { key, value: new Uint8Array([i]), headers: [], timestamp: Date.now() },
        ]) as Uint8Array<ArrayBuffer>,
      });
      expect(res.status).toBe(200);
      await expect
        .poll(() => page.evaluate(() => (globalThis as unknown as { followed: number }).followed), {
          timeout: 10_000,
        })
        .toBe(i + 1);
    }
    const tailed = await page.evaluate(() => (globalThis as unknown as { tailed: unknown[] }).tailed);
    expect(tailed).toEqual(Array.from({ length: 3 }, (_, offset) => ({ offset, key: [0xff, 0x00, 0xfe] })));
    // Following the three records took at most the one catch-up read before each socket opened, none per record.
    expect(batchReads - readsBefore).toBeLessThanOrEqual(1);
    await context.close();
  });
});
