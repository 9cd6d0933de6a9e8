/**
 * The `edgelog` CLI end to end: the real executable spawned as a process with stdin piped, against the Worker
 * under `wrangler dev` — 10,000 lines produced and consumed back identical, JSON and templates, consumer groups
 * listed, described and reset (dry run, then for real), a consumer piped into `head` and one stopped with
 * SIGINT, the exit codes of a missing topic, and EDGELOG_TOKEN against a Worker that enforces tokens.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { createClient } from "@edgelog/client";
import type { EdgeLog } from "@edgelog/core";
import { signToken } from "@edgelog/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalWorker, startLocalWorker } from "./support/local-worker.ts";
import { findNode20 } from "./support/node20.ts";

// The built bin (`npm test` builds first), run by the oldest Node it promises to support when the machine has it.
const CLI = resolve(import.meta.dirname, "../packages/cli/dist/main.js");
const NODE = (await findNode20()) ?? process.execPath;
const SECRET = "cli-e2e-secret-0123456789-abcdefghijkl";

interface Result {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `edgelog args…` with `stdin` piped in; resolves when it exits. */
function edgelog(
  url: string,
  args: readonly string[],
  options: { stdin?: string; env?: Record<string, string>; onSpawn?: (child: ChildProcess) => void } = {},
): Promise<Result> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(NODE, [CLI, ...args], {
      env: { ...process.env, EDGELOG_URL: url, EDGELOG_TOKEN: "", ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    child.on("close", (code, signal) =>
      resolveRun({
        code,
        signal,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      }),
    );
    options.onSpawn?.(child);
    child.stdin?.end(options.stdin ?? "");
  });
}

/** Runs a shell pipeline with `edgelog` standing for the CLI (bash, for `pipefail`). */
function pipeline(url: string, script: string): Promise<Result> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(
      "bash",
      ["-c", `set -o pipefail; edgelog() { "${NODE}" "${CLI}" "$@"; }; ${script}`],
      {
        env: { ...process.env, EDGELOG_URL: url, EDGELOG_TOKEN: "" },
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolveRun({ code, signal, stdout, stderr }));
  });
}

/** A loopback port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolvePort) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

const lines = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));

// Each CLI run is a Node process loading the TypeScript sources (seconds on a loaded machine): generous timeouts.
describe("edgelog CLI against wrangler dev", { timeout: 240_000 }, () => {
  let worker: LocalWorker;
  let log: EdgeLog;
  const run = (args: readonly string[], options?: Parameters<typeof edgelog>[2]) =>
    edgelog(worker.url, args, options);

  beforeAll(async () => {
    worker = await startLocalWorker();
    log = createClient({ url: worker.url });
  });

  afterAll(async () => {
    await log?.close();
    await worker?.stop();
  });

  it("creates a topic and round-trips 10,000 lines through one partition, identical and in order", async () => {
    expect(await run(["topics", "create", "lines", "--partitions", "3"])).toMatchObject({
      code: 0,
      stdout: "",
      stderr: 'created topic "lines" with 3 partitions\n',
    });
    expect((await run(["topics", "list"])).stdout.split("\n")).toContain("lines");
    // Text with spaces, tabs, quotes, non-ASCII, and empty lines.
    const input = lines(10_000, (i) =>
      i % 1000 === 999 ? "" : `record ${i}\t"é→${i % 97}" ${"x".repeat(i % 50)}`,
    );
    const produced = await run(["produce", "lines", "--partition", "0"], { stdin: `${input.join("\n")}\n` });
    expect(produced.code).toBe(0);
    expect(produced.stdout).toBe(input.map((_, i) => `0 ${i}\n`).join(""));
    expect(produced.stderr).toMatch(
      /^produced 10000 records to "lines" in [\d.]+ s \([\d,]+ records\/s\)\n$/,
    );

    const consumed = await run(["consume", "lines", "--from-beginning", "--exit"]);
    expect(consumed).toMatchObject({ code: 0, stderr: "" });
    expect(consumed.stdout).toBe(`${input.join("\n")}\n`);
    const described = await run(["topics", "describe", "lines"]);
    expect(described.stdout).toMatch(/\n\s+0\s+0\s+10000\s+10000\n/);
  });

  it("round-trips 10,000 keyed lines across partitions: every line back once, each key's lines in order", async () => {
    await run(["topics", "create", "keyed", "-p", "4"]);
    const input = lines(10_000, (i) => `user-${i % 37}\t${i}`);
    const produced = await run(["produce", "keyed", "--key-separator", "\\t", "--quiet"], {
      stdin: input.join("\n"),
    });
    expect(produced).toMatchObject({ code: 0, stdout: "" });
    const consumed = await run(["consume", "keyed", "-b", "-e", "--format", "%k\\t%v\\n"]);
    expect(consumed.code).toBe(0);
    const got = consumed.stdout.trimEnd().split("\n");
    expect([...got].sort()).toEqual([...input].sort());
    const byKey = (all: readonly string[]) => {
      const map = new Map<string, string[]>();
      for (const line of all) {
        const [key = "", value = ""] = line.split("\t");
        map.set(key, [...(map.get(key) ?? []), value]);
      }
      return map;
    };
    expect(byKey(got)).toEqual(byKey(input));
  });

  it("prints JSON objects and templates, with headers and from an offset", async () => {
    await run(["topics", "create", "fmt"]);
    await run(["produce", "fmt", "-K", "=", "-H", "source=cli", "-H", "constructor=yes"], {
      stdin: "k1=v1\nk2=v2\nk3=v3\n",
    });
    const json = await run(["consume", "fmt", "-o", "1", "-e", "-f", "json"]);
    const records = json.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(records).toEqual([
      {
        topic: "fmt",
        partition: 0,
        offset: 1,
        timestamp: expect.any(Number),
        key: "k2",
        value: "v2",
        headers: [
          { key: "source", value: "cli" },
          { key: "constructor", value: "yes" },
        ],
      },
      expect.objectContaining({ offset: 2, key: "k3", value: "v3" }),
    ]);
    const template = await run(["consume", "fmt", "-b", "-e", "-c", "2", "-f", "%t/%p@%o %k=%v [%h]\\n"]);
    expect(template.stdout).toBe(
      "fmt/0@0 k1=v1 [source=cli,constructor=yes]\nfmt/0@1 k2=v2 [source=cli,constructor=yes]\n",
    );
  });

  it("lists, describes and resets a group: the dry run changes nothing, the reset moves the offsets", async () => {
    await run(["topics", "create", "billing-events", "-p", "2"]);
    await run(["produce", "billing-events", "-p", "0"], { stdin: `${lines(30, String).join("\n")}\n` });
    await run(["produce", "billing-events", "-p", "1"], { stdin: `${lines(20, String).join("\n")}\n` });
    const consumed = await run(["consume", "billing-events", "--group", "billing", "-b", "--exit"]);
    expect(consumed.code).toBe(0);
    expect(consumed.stdout.trimEnd().split("\n")).toHaveLength(50);
    expect((await run(["groups", "list"])).stdout.split("\n")).toContain("billing");
    const described = await run(["groups", "describe", "billing"]);
    expect(described.stdout).toMatch(/^group billing {2}state Empty/);
    expect(described.stdout).toMatch(/billing-events\s+0\s+30\s+30\s+0/);
    expect(described.stdout).toMatch(/billing-events\s+1\s+20\s+20\s+0/);

    const committed = async () =>
      (await log.admin().fetchOffsets({ groupId: "billing", topics: ["billing-events"] }))[0]?.partitions.map(
        (p) => p.offset,
      );
    const dry = await run([
      "groups",
      "reset",
      "billing",
      "--topic",
      "billing-events",
      "--to-earliest",
      "--dry-run",
    ]);
    expect(dry).toMatchObject({ code: 0, stderr: 'dry run: group "billing" not changed\n' });
    expect(dry.stdout).toBe(
      "PARTITION  CURRENT  NEW  LAG\n        0       30    0   30\n        1       20    0   20\n",
    );
    expect(await committed()).toEqual([30, 20]);

    const real = await run(["groups", "reset", "billing", "--topic", "billing-events", "--to-offset", "25"]);
    expect(real).toMatchObject({
      code: 0,
      stdout: "PARTITION  CURRENT  NEW  LAG\n        0       30   25    5\n        1       20   20    0\n",
    });
    expect(await committed()).toEqual([25, 20]);
    const resumed = await run(["consume", "billing-events", "-g", "billing", "-e"]);
    expect(resumed.stdout).toBe("25\n26\n27\n28\n29\n");
  });

  it("refuses a reset while a member is running (exit 5), then a member stopped by SIGINT exits 0 and commits", async () => {
    await run(["topics", "create", "live"]);
    await run(["produce", "live"], { stdin: "a\nb\nc\n" });
    let child: ChildProcess | undefined;
    const member = run(["consume", "live", "-g", "live-group", "-b"], {
      onSpawn: (c) => {
        child = c;
      },
    });
    await expect
      .poll(
        async () =>
          (
            await log
              .admin()
              .describeGroups(["live-group"])
              .catch(() => null)
          )?.groups[0]?.members.length,
        {
          timeout: 30_000,
        },
      )
      .toBe(1);
    const refused = await run(["groups", "reset", "live-group", "-t", "live", "--to-earliest"]);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/^edgelog: NON_EMPTY_GROUP: /);
    await expect
      .poll(
        async () =>
          (await log.admin().fetchOffsets({ groupId: "live-group", topics: ["live"] }))[0]?.partitions[0]
            ?.offset,
        {
          timeout: 30_000,
        },
      )
      .toBe(3);
    child?.kill("SIGINT");
    expect(await member).toMatchObject({ code: 0, stdout: "a\nb\nc\n", stderr: "" });
    expect(await run(["groups", "reset", "live-group", "-t", "live", "--to-earliest"])).toMatchObject({
      code: 0,
    });
  });

  it("exits 0 quietly when piped into head, committing at most what it wrote", async () => {
    await run(["topics", "create", "headed"]);
    await run(["produce", "headed", "-q"], { stdin: `${lines(20_000, (i) => `row ${i}`).join("\n")}\n` });
    const piped = await pipeline(worker.url, "edgelog consume headed -g heads -b | head -n 3");
    expect(piped).toMatchObject({ code: 0, stdout: "row 0\nrow 1\nrow 2\n", stderr: "" });
    const [offsets] = await log.admin().fetchOffsets({ groupId: "heads", topics: ["headed"] });
    const offset = offsets?.partitions[0]?.offset ?? -1;
    expect(offset).toBeGreaterThanOrEqual(3);
    expect(offset).toBeLessThan(20_000);
  });

  it("exits non-zero with the server's code for a missing topic, a bad flag and an unreachable server", async () => {
    const consume = await run(["consume", "does-not-exist", "--exit"]);
    expect(consume).toMatchObject({ code: 4, stdout: "" });
    expect(consume.stderr).toMatch(/^edgelog: UNKNOWN_TOPIC_OR_PARTITION: /);
    const produce = await run(["produce", "does-not-exist"], { stdin: "x\n" });
    expect(produce.code).toBe(4);
    expect((await run(["topics", "create", "lines"])).code).toBe(5);
    const usage = await run(["consume", "lines", "--offset", "soon"]);
    expect(usage).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^edgelog: INVALID_REQUEST: --offset must be/),
    });
    const down = await edgelog(`http://127.0.0.1:${await closedPort()}`, ["topics", "list"]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^edgelog: REQUEST_TIMED_OUT: .*\n {2}cause: .*ECONNREFUSED/);
  });
});

describe("edgelog CLI with EDGELOG_TOKEN against a Worker that enforces tokens", { timeout: 240_000 }, () => {
  let worker: LocalWorker;
  const token = (scope: string) => signToken({ secret: SECRET, scope, ttlSeconds: 600 });

  beforeAll(async () => {
    worker = await startLocalWorker({ vars: { EDGELOG_JWT_SECRET: SECRET } });
  });

  afterAll(async () => {
    await worker?.stop();
  });

  it("exits 3 without a token or without the right, and works with one", async () => {
    const none = await edgelog(worker.url, ["topics", "list"]);
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(
      /^edgelog: AUTHENTICATION_FAILED: .*\n {2}Set a token with EDGELOG_TOKEN\.\n$/,
    );
    const admin = { EDGELOG_TOKEN: await token("admin") };
    expect(await edgelog(worker.url, ["topics", "create", "secured"], { env: admin })).toMatchObject({
      code: 0,
    });
    const producer = { EDGELOG_TOKEN: await token("produce:secured") };
    const refused = await edgelog(worker.url, ["topics", "create", "other"], { env: producer });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/^edgelog: CLUSTER_AUTHORIZATION_FAILED: /);
    const produced = await edgelog(worker.url, ["produce", "secured"], {
      env: producer,
      stdin: "one\ntwo\n",
    });
    expect(produced).toMatchObject({ code: 0, stdout: "0 0\n0 1\n" });
    const reader = { EDGELOG_TOKEN: await token("consume:secured") };
    expect(await edgelog(worker.url, ["consume", "secured", "-b", "-e"], { env: reader })).toMatchObject({
      code: 0,
      stdout: "one\ntwo\n",
    });
    const wrongTopic = await edgelog(worker.url, ["consume", "secured", "-b", "-e"], { env: producer });
    expect(wrongTopic.code).toBe(3);
    expect(wrongTopic.stderr).toMatch(/^edgelog: TOPIC_AUTHORIZATION_FAILED: /);
  });
});
