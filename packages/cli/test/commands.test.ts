// Every command driven through runCli against the real server app on a MemoryStore: what reaches stdout and
// stderr, the exit codes, and what the store holds afterwards.
import { EdgeLog } from "@edgelog/core";
import { describe, expect, it } from "vitest";
import { EXIT, runCli } from "../src/cli.ts";
import { OUTPUT_BATCH_BYTES } from "../src/commands/consume.ts";
import { MAX_PENDING_RECORDS } from "../src/commands/produce.ts";
import { capture, cli, inProcessServer, terminal } from "./support/harness.ts";

const lines = (n: number, f: (i: number) => string = (i) => `line ${i}`) =>
  Array.from({ length: n }, (_, i) => f(i));

async function withTopic(partitions = 1, name = "orders") {
  const server = inProcessServer();
  const created = await cli(server, ["topics", "create", name, "--partitions", String(partitions)]);
  expect(created).toMatchObject({ code: EXIT.OK, stdout: "" });
  return server;
}

describe("topics", () => {
  it("creates, lists, describes and deletes", async () => {
    const server = inProcessServer();
    const created = await cli(server, [
      "topics",
      "create",
      "orders",
      "-p",
      "3",
      "--config",
      "retention.ms=-1",
      "--config",
      "max.message.bytes=2048",
    ]);
    expect(created).toMatchObject({ code: 0, stderr: 'created topic "orders" with 3 partitions\n' });
    await cli(server, ["topics", "create", "constructor"]);
    expect((await cli(server, ["topics", "list"])).stdout).toBe("constructor\norders\n");
    expect(JSON.parse((await cli(server, ["topics", "list", "--json"])).stdout)).toEqual([
      "constructor",
      "orders",
    ]);
    const described = await cli(server, ["topics", "describe", "orders"]);
    expect(described.stdout).toMatch(/^retention\.ms +-1 +topic$/m);
    expect(described.stdout).toMatch(/^max\.message\.bytes +2048 +topic$/m);
    expect(described.stdout).toMatch(/^retention\.bytes +-1 +default$/m);
    // An unreplicated topic lists no replication settings.
    expect(described.stdout).not.toContain("min.insync.replicas");
    expect(described.stdout.split("\n").filter((l) => /^\s*\d+\s+0\s+0\s+0$/.test(l))).toHaveLength(3);
    const json = JSON.parse((await cli(server, ["topics", "describe", "orders", "--json"])).stdout);
    expect(json).toMatchObject({
      name: "orders",
      partitions: [{ partition: 0 }, { partition: 1 }, { partition: 2 }],
    });
    expect(await cli(server, ["topics", "delete", "orders"])).toMatchObject({ code: 0 });
    expect((await cli(server, ["topics", "list"])).stdout).toBe("constructor\n");
  });

  it("alters a topic's configs and shows its cleanup policy", async () => {
    const server = await withTopic();
    const altered = await cli(server, [
      "topics",
      "alter",
      "orders",
      "--config",
      "cleanup.policy=compact",
      "-c",
      "delete.retention.ms=0",
      "--reset",
      "max.message.bytes",
    ]);
    expect(altered).toMatchObject({ code: 0, stdout: "", stderr: 'changed 3 configs of topic "orders"\n' });
    const described = (await cli(server, ["topics", "describe", "orders"])).stdout;
    expect(described).toMatch(
      /^topic orders {2}id \S+ {2}cleanup\.policy compact {2}\(compacted: offsets have gaps\)\n/,
    );
    expect(described).toMatch(/^cleanup\.policy +compact +topic$/m);
    expect(described).toMatch(/^delete\.retention\.ms +0 +topic$/m);
    expect(described).toMatch(/^max\.message\.bytes +1048576 +default$/m);
    expect(described).toMatch(/^min\.compaction\.lag\.ms +0 +default$/m);
    expect(described).toContain("OFFSETS");
    expect((await cli(server, ["topics", "alter", "orders"])).code).toBe(EXIT.USAGE);
    const refused = await cli(server, ["topics", "alter", "orders", "--config", "partitions=4"]);
    expect(refused).toMatchObject({
      code: EXIT.USAGE,
      stderr: expect.stringMatching(/INVALID_CONFIG.*createPartitions/),
    });
    expect((await cli(server, ["topics", "alter", "nope", "-c", "retention.ms=1"])).code).toBe(
      EXIT.NOT_FOUND,
    );
  });

  it("lists topics with their cleanup policy, compacted ones marked, from one request", async () => {
    const server = inProcessServer();
    await cli(server, ["topics", "create", "users", "-c", "cleanup.policy=compact"]);
    await cli(server, ["topics", "create", "orders", "-p", "2"]);
    await cli(server, ["topics", "create", "__proto__", "-c", "cleanup.policy=delete,compact"]);
    let requests = 0;
    const counted = {
      fetch: (input: RequestInfo | URL, init?: RequestInit) => {
        requests++;
        return server.fetch(input, init);
      },
    };
    const long = await cli(counted, ["topics", "list", "--long"]);
    expect(requests).toBe(1);
    expect(long.stdout.split("\n").map((l) => l.split(/ +/))).toEqual([
      ["NAME", "PARTITIONS", "CLEANUP.POLICY", "COMPACTED"],
      ["__proto__", "1", "compact,delete", "yes"],
      ["orders", "2", "delete", "-"],
      ["users", "1", "compact", "yes"],
      [""],
    ]);
    const json = JSON.parse((await cli(server, ["topics", "list", "-l", "--json"])).stdout);
    expect(
      json.map((t: { name: string; config: Record<string, unknown> }) => [
        t.name,
        t.config["cleanup.policy"],
      ]),
    ).toEqual([
      ["__proto__", "compact,delete"],
      ["orders", "delete"],
      ["users", "compact"],
    ]);
  });

  it("exits with the server's code: 5 for an existing topic (0 with --if-not-exists), 4 for an unknown one, 2 for bad input", async () => {
    const server = await withTopic();
    const again = await cli(server, ["topics", "create", "orders"]);
    expect(again).toMatchObject({
      code: EXIT.CONFLICT,
      stderr: expect.stringMatching(/^edgelog: TOPIC_ALREADY_EXISTS: /),
    });
    expect(await cli(server, ["topics", "create", "orders", "--if-not-exists"])).toMatchObject({ code: 0 });
    const missing = await cli(server, ["topics", "describe", "nope"]);
    expect(missing).toMatchObject({ code: EXIT.NOT_FOUND, stdout: "" });
    expect(missing.stderr).toMatch(/^edgelog: UNKNOWN_TOPIC_OR_PARTITION: /);
    expect((await cli(server, ["topics", "delete", "nope"])).code).toBe(EXIT.NOT_FOUND);
    expect((await cli(server, ["topics", "create", "bad name!"])).stderr).toMatch(
      /^edgelog: INVALID_TOPIC: /,
    );
    expect((await cli(server, ["topics", "create", "x", "--config", "cleanup.policy=shred"])).code).toBe(
      EXIT.USAGE,
    );
    expect((await cli(server, ["topics", "create", "x", "--config", "__proto__=1"])).stderr).toMatch(
      /INVALID_CONFIG/,
    );
    expect((await cli(server, ["topics", "create", "x", "-p", "0"])).code).toBe(EXIT.USAGE);
    expect((await cli(server, ["topics", "create"])).stderr).toContain("missing NAME");
    expect((await cli(server, ["topics", "list", "extra"])).code).toBe(EXIT.USAGE);
  });

  it("answers --help without a server and unknown commands with exit 2", async () => {
    const unreachable = { fetch: async () => Promise.reject(new Error("must not be called")) };
    const help = await cli(unreachable, ["topics", "create", "--help"]);
    expect(help).toMatchObject({
      code: 0,
      stdout: expect.stringContaining("Usage: edgelog topics create NAME"),
    });
    expect((await cli(unreachable, ["--help"])).stdout).toContain("Exit codes:");
    expect((await cli(unreachable, [])).stdout).toContain("groups reset");
    expect((await cli(unreachable, ["frobnicate"])).code).toBe(EXIT.USAGE);
    expect((await cli(unreachable, ["topics", "frob"])).stderr).toContain('unknown command "topics frob"');
    expect((await cli(unreachable, ["--version"])).stdout).toMatch(/^edgelog \d+\.\d+\.\d+\n$/);
    const badUrl = await cli(unreachable, ["topics", "list", "--url", "ftp://x"]);
    expect(badUrl).toMatchObject({ code: EXIT.USAGE, stderr: expect.stringContaining("http(s) URL") });
  });

  it("reports an unreachable server as exit 1 with the cause", async () => {
    const refused = {
      fetch: async () =>
        Promise.reject(new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED") })),
    };
    const run = await cli(refused, ["topics", "list"]);
    expect(run.code).toBe(EXIT.ERROR);
    expect(run.stderr).toMatch(/^edgelog: REQUEST_TIMED_OUT: .*\n {2}cause: connect ECONNREFUSED\n/);
  });
});

describe("produce and consume", () => {
  it("round-trips lines in order through one partition, printing PARTITION OFFSET per line", async () => {
    const server = await withTopic(3);
    const input = lines(500);
    const produced = await cli(server, ["produce", "orders", "--partition", "1"], {
      stdin: `${input.join("\n")}\n`,
    });
    expect(produced.code).toBe(0);
    expect(produced.stdout).toBe(input.map((_, i) => `1 ${i}\n`).join(""));
    expect(produced.stderr).toMatch(/^produced 500 records to "orders" in /);
    const consumed = await cli(server, ["consume", "orders", "--from-beginning", "--exit"]);
    expect(consumed).toMatchObject({ code: 0, stdout: `${input.join("\n")}\n`, stderr: "" });
  });

  it("keys records with --key-separator (Kafka's partitioning) and keeps each key's order", async () => {
    const server = await withTopic(4);
    const input = lines(200, (i) => `user-${i % 7}\t${i}`);
    const produced = await cli(server, ["produce", "orders", "-K", "\\t"], { stdin: input.join("\n") });
    expect(produced.code).toBe(0);
    const log = new EdgeLog({ store: server.store });
    const { partitionForKey } = await import("@edgelog/core");
    const printed = produced.stdout
      .trimEnd()
      .split("\n")
      .map((l) => Number(l.split(" ")[0]));
    expect(printed).toEqual(input.map((l) => partitionForKey(new TextEncoder().encode(l.split("\t")[0]), 4)));
    const consumed = await cli(server, ["consume", "orders", "-b", "-e", "-f", "%k=%v\\n"]);
    const got = consumed.stdout.trimEnd().split("\n");
    expect(got.sort()).toEqual(input.map((l) => l.replace("\t", "=")).sort());
    for (let k = 0; k < 7; k++) {
      const mine = got.filter((l) => l.startsWith(`user-${k}=`));
      // In key order of production: per partition order holds, and a key has one partition.
      expect(consumed.stdout.split("\n").filter((l) => l.startsWith(`user-${k}=`))).toEqual(
        mine.sort((a, b) => Number(a.split("=")[1]) - Number(b.split("=")[1])),
      );
    }
    await log.close();
  });

  it("adds headers and prints JSON with every field", async () => {
    const server = await withTopic(1);
    await cli(
      server,
      ["produce", "orders", "-K", "::", "-H", "source=cli", "-H", "source=again", "-H", "__proto__=x"],
      {
        stdin: "k1::v1\nk2::v=2\n",
      },
    );
    const consumed = await cli(server, ["consume", "orders", "-b", "-e", "--format", "json"]);
    const records = consumed.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(records).toEqual([
      expect.objectContaining({ topic: "orders", partition: 0, offset: 0, key: "k1", value: "v1" }),
      expect.objectContaining({ topic: "orders", partition: 0, offset: 1, key: "k2", value: "v=2" }),
    ]);
    expect(records[0].headers).toEqual([
      { key: "source", value: "cli" },
      { key: "source", value: "again" },
      { key: "__proto__", value: "x" },
    ]);
    expect(typeof records[0].timestamp).toBe("number");
  });

  it("round-trips bytes that are not UTF-8, and empty lines", async () => {
    const server = await withTopic(1);
    const input = new Uint8Array([0xff, 0xfe, 0x0a, 0x0a, 0x00, 0x80, 0x0d, 0x0a]);
    expect((await cli(server, ["produce", "orders", "-q"], { stdin: input })).stdout).toBe("");
    const consumed = await cli(server, ["consume", "orders", "-b", "-e"]);
    expect([...consumed.stdoutBytes]).toEqual([...input]);
  });

  it("starts at --offset, --from-time, or only new records; reads only --partition; stops at --count", async () => {
    const server = await withTopic(2);
    await cli(server, ["produce", "orders", "-p", "0"], { stdin: "a\nb\nc\nd\n" });
    await cli(server, ["produce", "orders", "-p", "1"], { stdin: "x\ny\n" });
    const at = async (...args: string[]) => (await cli(server, ["consume", "orders", "-e", ...args])).stdout;
    expect(await at("-p", "0", "-o", "2")).toBe("c\nd\n");
    expect(await at("-p", "0", "-o", "99")).toBe("");
    expect((await at("-o", "1")).split("\n").sort().join(" ")).toBe(" b c d y");
    expect(await at()).toBe("");
    expect(await at("-p", "1", "--from-time", "2000-01-01T00:00:00Z")).toBe("x\ny\n");
    expect(await at("-p", "1", "--from-time", new Date(Date.now() + 60_000).toISOString())).toBe("");
    expect(await at("-p", "0", "-b", "-c", "3", "-f", "%p:%o %v\\n")).toBe("0:0 a\n0:1 b\n0:2 c\n");
  });

  it("exits 0 at once on an empty topic with --exit, and refuses conflicting flags", async () => {
    const server = await withTopic(2);
    expect(await cli(server, ["consume", "orders", "-b", "-e"])).toMatchObject({ code: 0, stdout: "" });
    const conflicting = await cli(server, ["consume", "orders", "-b", "-o", "1"]);
    expect(conflicting).toMatchObject({ code: EXIT.USAGE, stderr: expect.stringContaining("at most one") });
    expect((await cli(server, ["consume", "orders", "-g", "g", "-p", "0"])).code).toBe(EXIT.USAGE);
    expect((await cli(server, ["consume", "orders", "-p", "2", "-e"])).code).toBe(EXIT.NOT_FOUND);
    expect((await cli(server, ["consume", "orders", "-f", "%q"])).code).toBe(EXIT.USAGE);
    expect((await cli(server, ["consume", "orders", "-c", "0"])).code).toBe(EXIT.USAGE);
  });

  it("fails on an unknown topic or partition before reading stdin", async () => {
    const server = await withTopic(1);
    let pulled = false;
    const stdin = (async function* () {
      pulled = true;
      yield new TextEncoder().encode("x\n");
    })();
    const run = await cli(server, ["produce", "nope"], { stdin });
    expect(run).toMatchObject({ code: EXIT.NOT_FOUND, stdout: "" });
    expect(run.stderr).toMatch(/^edgelog: UNKNOWN_TOPIC_OR_PARTITION: /);
    expect(pulled).toBe(false);
    expect((await cli(server, ["produce", "orders", "-p", "1"], { stdin: "x\n" })).code).toBe(EXIT.NOT_FOUND);
    expect((await cli(server, ["consume", "nope", "-e"])).code).toBe(EXIT.NOT_FOUND);
  });

  it("stops at the first refused record, keeps the offsets of what was stored, and exits with its code", async () => {
    const server = inProcessServer();
    await cli(server, ["topics", "create", "small", "--config", "max.message.bytes=200"]);
    // Lines that arrive together are sent together, and a refused send stores none of them.
    const run = await cli(server, ["produce", "small"], { stdin: `ok\n${"x".repeat(500)}\nalso\n` });
    expect(run).toMatchObject({ code: EXIT.USAGE, stdout: "" });
    expect(run.stderr).toMatch(/produced 0 records to "small".*3 not produced/);
    expect(run.stderr).toMatch(/edgelog: MESSAGE_TOO_LARGE: lines 1-3: /);
    // Separately arriving lines: what came before is stored, and input after the refusal is not sent.
    let pulledAfter = false;
    async function* slow() {
      yield new TextEncoder().encode("ok\n");
      await new Promise((r) => setTimeout(r, 20));
      yield new TextEncoder().encode(`${"x".repeat(500)}\n`);
      await new Promise((r) => setTimeout(r, 20));
      pulledAfter = true;
      yield new TextEncoder().encode("never\n");
    }
    const stopped = await cli(server, ["produce", "small"], { stdin: slow() });
    expect(stopped).toMatchObject({ code: EXIT.USAGE, stdout: "0 0\n" });
    expect(stopped.stderr).toMatch(
      /produced 1 record to "small".*1 not produced\nedgelog: MESSAGE_TOO_LARGE: line 2: /,
    );
    expect(pulledAfter).toBe(true);
    expect((await cli(server, ["consume", "small", "-b", "-e"])).stdout).toBe("ok\n");
    const keyless = await cli(server, ["produce", "small", "-K", ":"], { stdin: "a:1\nno separator\n" });
    expect(keyless).toMatchObject({
      code: EXIT.USAGE,
      stderr: expect.stringContaining("line 2 has no key separator"),
    });
  });

  it("stores every line exactly once when responses to appends are lost and the producer retries", async () => {
    const server = await withTopic(3);
    let appends = 0;
    let lost = 0;
    const lossy = {
      fetch: (async (input, init) => {
        const response = await server.fetch(input, init);
        const url = String(input instanceof Request ? input.url : input);
        if ((init?.method ?? "GET") === "POST" && url.includes("/batches") && appends++ % 2 === 0) {
          lost++;
          // The batch was stored; the response never arrives.
          throw new TypeError("fetch failed", { cause: new Error("socket hang up") });
        }
        return response;
      }) as typeof fetch,
    };
    const input = lines(3000, (i) => `k${i % 11}:${i}`);
    async function* trickle() {
      for (let i = 0; i < input.length; i += 250) {
        yield new TextEncoder().encode(`${input.slice(i, i + 250).join("\n")}\n`);
        await new Promise((r) => setTimeout(r, 1));
      }
    }
    const produced = await cli(lossy, ["produce", "orders", "-K", ":", "--linger-ms", "0"], {
      stdin: trickle(),
    });
    expect(produced.code).toBe(0);
    expect(lost).toBeGreaterThan(3);
    const offsets = produced.stdout.trimEnd().split("\n");
    expect(offsets).toHaveLength(3000);
    expect(new Set(offsets).size).toBe(3000);
    const consumed = await cli(server, ["consume", "orders", "-b", "-e", "-f", "%p %o %k:%v\n"]);
    const got = consumed.stdout.trimEnd().split("\n");
    expect(got).toHaveLength(3000);
    // Each line once, at the offset produce printed for it.
    const printedFor = new Map(input.map((line, i) => [line, offsets[i]]));
    for (const row of got) {
      const [p, o, record] = row.split(" ");
      expect(printedFor.get(record as string)).toBe(`${p} ${o}`);
    }
  });

  it("reads stdin only as fast as the server acknowledges: a bounded window of records in flight", async () => {
    const server = await withTopic(1);
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let appends = 0;
    const gated = {
      fetch: (async (input, init) => {
        const url = String(input instanceof Request ? input.url : input);
        if ((init?.method ?? "GET") === "POST" && url.includes("/batches")) {
          appends++;
          await gate;
        }
        return server.fetch(input, init);
      }) as typeof fetch,
    };
    let pulled = 0;
    const chunk = new TextEncoder().encode(`${lines(1000, (i) => `r${i}`).join("\n")}\n`);
    async function* sixtyThousand() {
      for (let i = 0; i < 60; i++) {
        pulled += 1000;
        yield chunk;
      }
    }
    const running = cli(gated, ["produce", "orders", "-q"], { stdin: sixtyThousand() });
    // The server holds every append: input is read up to the window and no further.
    await expect.poll(() => pulled).toBeGreaterThanOrEqual(MAX_PENDING_RECORDS);
    await new Promise((r) => setTimeout(r, 200));
    expect(appends).toBeGreaterThan(0);
    expect(pulled).toBeLessThanOrEqual(MAX_PENDING_RECORDS + 2 * 1000);
    expect(pulled).toBeLessThan(40_000);
    open();
    const run = await running;
    expect(run.code).toBe(0);
    expect(pulled).toBe(60_000);
    expect(run.stderr).toMatch(/^produced 60000 records/);
  }, 60_000);

  it("stops producing on SIGINT, flushes what was read, and exits 130", async () => {
    const server = await withTopic(1);
    let release: () => void = () => {};
    const blocked = new Promise<void>((r) => {
      release = r;
    });
    const stdin = (async function* () {
      yield new TextEncoder().encode("one\ntwo\n");
      await blocked;
      yield new TextEncoder().encode("three\n");
    })();
    const t = terminal({ stdin, fetch: server.fetch });
    const running = runCli(["produce", "orders"], t.io);
    await expect.poll(() => t.stdout.text()).toBe("0 0\n0 1\n");
    t.interrupt();
    expect(await running).toBe(EXIT.INTERRUPTED);
    expect(t.stderr.text()).toMatch(/produced 2 records .*interrupted/);
    release();
    expect((await cli(server, ["consume", "orders", "-b", "-e"])).stdout).toBe("one\ntwo\n");
  });
});

describe("consumer groups", () => {
  it("commits only what reached stdout when the reader leaves (| head), then exits 0 quietly", async () => {
    const server = await withTopic(1);
    // 1,000-byte lines: output is written OUTPUT_BATCH_BYTES at a time, so the first write carries the first 17.
    const input = lines(100, (i) => `${i}`.padEnd(1000, "."));
    await cli(server, ["produce", "orders"], { stdin: `${input.join("\n")}\n` });
    const perWrite = Math.ceil(OUTPUT_BATCH_BYTES / 1001);
    const stdout = capture({ acceptBytes: perWrite * 1001 + 10 });
    const t = terminal({ fetch: server.fetch, stdout });
    expect(await runCli(["consume", "orders", "-g", "billing", "-b"], t.io)).toBe(EXIT.OK);
    expect(t.stderr.text()).toBe("");
    expect(stdout.text()).toBe(`${input.slice(0, perWrite).join("\n")}\n`);
    const described = await cli(server, ["groups", "describe", "billing", "--json"]);
    expect(JSON.parse(described.stdout).offsets).toEqual([
      {
        topic: "orders",
        partitions: [{ partition: 0, offset: perWrite, metadata: null, high: 100, lag: 100 - perWrite }],
      },
    ]);
    // The next member resumes right after what reached the reader.
    const next = await cli(server, ["consume", "orders", "-g", "billing", "-e", "-c", "2", "-f", "%o\n"]);
    expect(next.stdout).toBe(`${perWrite}\n${perWrite + 1}\n`);
    // A reader gone before the first write: nothing is consumed (the commit is the starting offset).
    const gone = terminal({ fetch: server.fetch, stdout: capture({ acceptBytes: 0 }) });
    expect(await runCli(["consume", "orders", "-g", "fresh", "-b"], gone.io)).toBe(EXIT.OK);
    const fresh = JSON.parse((await cli(server, ["groups", "describe", "fresh", "--json"])).stdout).offsets;
    expect(fresh[0].partitions[0]).toMatchObject({ offset: 0, lag: 100 });
  });

  it("stops on SIGINT with exit 0, committing what it printed", async () => {
    const server = await withTopic(2);
    await cli(server, ["produce", "orders", "-p", "1"], { stdin: "a\nb\n" });
    const t = terminal({ fetch: server.fetch });
    const running = runCli(["consume", "orders", "-g", "live", "-b"], t.io);
    await expect.poll(() => t.stdout.text()).toBe("a\nb\n");
    t.interrupt();
    expect(await running).toBe(EXIT.OK);
    const offsets = JSON.parse((await cli(server, ["groups", "describe", "live", "--json"])).stdout).offsets;
    expect(offsets[0].partitions.map((p: { offset: number }) => p.offset)).toEqual([0, 2]);
  });

  it("lists, describes, resets (dry run, then for real) and deletes", async () => {
    const server = await withTopic(2);
    await cli(server, ["produce", "orders", "-p", "0"], { stdin: `${lines(10).join("\n")}\n` });
    await cli(server, ["produce", "orders", "-p", "1"], { stdin: `${lines(4).join("\n")}\n` });
    expect(
      (await cli(server, ["consume", "orders", "-g", "billing", "-b", "-e"])).stdout.split("\n"),
    ).toHaveLength(15);
    expect((await cli(server, ["groups", "list"])).stdout).toBe("billing\n");
    const described = await cli(server, ["groups", "describe", "billing"]);
    expect(described.stdout).toMatch(/^group billing {2}state Empty/);
    expect(described.stdout).toMatch(/orders\s+0\s+10\s+10\s+0\s+-/);
    expect(described.stdout).toMatch(/orders\s+1\s+4\s+4\s+0\s+-/);

    const dry = await cli(server, [
      "groups",
      "reset",
      "billing",
      "--topic",
      "orders",
      "--to-earliest",
      "--dry-run",
    ]);
    expect(dry).toMatchObject({ code: 0, stderr: 'dry run: group "billing" not changed\n' });
    expect(dry.stdout).toBe(
      "PARTITION  CURRENT  NEW  LAG\n        0       10    0   10\n        1        4    0    4\n",
    );
    expect((await cli(server, ["groups", "describe", "billing"])).stdout).toMatch(/orders\s+0\s+10\s+10\s+0/);

    const real = await cli(server, [
      "groups",
      "reset",
      "billing",
      "-t",
      "orders",
      "--to-offset",
      "3",
      "-p",
      "0",
    ]);
    expect(real).toMatchObject({
      code: 0,
      stdout: "PARTITION  CURRENT  NEW  LAG\n        0       10    3    7\n",
    });
    expect((await cli(server, ["consume", "orders", "-g", "billing", "-e"])).stdout).toBe(
      `${lines(10).slice(3).join("\n")}\n`,
    );
    const latest = await cli(server, [
      "groups",
      "reset",
      "billing",
      "-t",
      "orders",
      "--to-time",
      "2000-01-01",
    ]);
    expect(latest.stdout).toMatch(/0\s+10\s+0\s+10\n\s+1\s+4\s+0\s+4\n$/);
    expect(await cli(server, ["groups", "reset", "billing", "-t", "orders", "--to-latest"])).toMatchObject({
      code: 0,
    });
    expect(await cli(server, ["groups", "delete", "billing"])).toMatchObject({ code: 0 });
    expect((await cli(server, ["groups", "list"])).stdout).toBe("");
    expect((await cli(server, ["groups", "describe", "billing"])).code).toBe(EXIT.NOT_FOUND);
  });

  it("refuses a reset while the group has members (exit 5), warns on a dry run, and checks its flags", async () => {
    const server = await withTopic(1);
    await cli(server, ["produce", "orders"], { stdin: "a\n" });
    const t = terminal({ fetch: server.fetch });
    const member = runCli(["consume", "orders", "-g", "busy", "-b"], t.io);
    await expect.poll(() => t.stdout.text()).toBe("a\n");
    const described = await cli(server, ["groups", "describe", "busy"]);
    expect(described.stdout).toMatch(/state Stable .* members 1/);
    expect(described.stdout).toMatch(/MEMBER\s+EPOCH\s+CLIENT\s+ASSIGNMENT\n\S+\s+\d+\s+\S+\s+orders:0/);
    const refused = await cli(server, ["groups", "reset", "busy", "-t", "orders", "--to-earliest"]);
    expect(refused).toMatchObject({ code: EXIT.CONFLICT, stdout: "" });
    expect(refused.stderr).toMatch(/^edgelog: NON_EMPTY_GROUP: /);
    const dry = await cli(server, ["groups", "reset", "busy", "-t", "orders", "--to-earliest", "--dry-run"]);
    expect(dry).toMatchObject({ code: 0, stderr: expect.stringContaining("has 1 member(s)") });
    t.interrupt();
    expect(await member).toBe(0);
    expect((await cli(server, ["groups", "reset", "busy", "-t", "orders", "--to-earliest"])).code).toBe(0);
    const flags = await cli(server, ["groups", "reset", "busy", "-t", "orders"]);
    expect(flags).toMatchObject({ code: EXIT.USAGE, stderr: expect.stringContaining("exactly one") });
    expect((await cli(server, ["groups", "reset", "busy", "--to-latest"])).stderr).toContain(
      "--topic is required",
    );
    expect(
      (await cli(server, ["groups", "reset", "busy", "-t", "orders", "--to-latest", "-p", "5"])).code,
    ).toBe(EXIT.USAGE);
    expect((await cli(server, ["groups", "reset", "busy", "-t", "nope", "--to-latest"])).code).toBe(
      EXIT.NOT_FOUND,
    );
  });
});

describe("share groups", () => {
  /** A share session over HTTP, as a share consumer opens one: fetch with epoch 0 acquires records. */
  const shareFetch = async (
    server: { fetch: typeof fetch },
    group: string,
    body: Record<string, unknown>,
  ) => {
    const response = await server.fetch(
      `http://edgelog.test/v1/share-groups/${encodeURIComponent(group)}/fetch`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ topics: ["orders"], ...body }),
      },
    );
    expect(response.status).toBe(200);
    return (await response.json()) as { memberId: string; sessionEpoch: number; records: unknown[] };
  };

  it("lists, describes, alters and deletes share groups, refusing to delete one with a member", async () => {
    const server = await withTopic(2);
    await cli(server, ["produce", "orders", "-p", "0"], { stdin: "a\nb\nc\n" });
    expect((await cli(server, ["share-groups", "list"])).stdout).toBe("");
    const configured = await cli(server, [
      "share-groups",
      "alter",
      "jobs",
      "-c",
      "share.auto.offset.reset=earliest",
    ]);
    expect(configured).toMatchObject({ code: 0, stderr: 'changed 1 config of share group "jobs"\n' });
    expect(configured.stdout).toMatch(/^share\.auto\.offset\.reset +earliest$/m);
    const session = await shareFetch(server, "jobs", {
      memberId: "worker-1",
      sessionEpoch: 0,
      maxRecords: 2,
    });
    expect(session.records).toHaveLength(2);

    expect((await cli(server, ["share-groups", "list"])).stdout).toBe("jobs\n");
    expect(JSON.parse((await cli(server, ["share-groups", "list", "--json"])).stdout)).toEqual(["jobs"]);
    const described = (await cli(server, ["share-groups", "describe", "jobs"])).stdout;
    expect(described).toMatch(/^share-group jobs {2}state Stable {2}members 1 {2}partitions \d\n/);
    expect(described).toMatch(/^share\.record\.lock\.duration\.ms +30000$/m);
    expect(described).toMatch(/^errors\.deadletterqueue\.topic\.name +-$/m);
    // Partition 0: offsets 0 and 1 acquired by the member, 2 not taken yet.
    expect(described).toMatch(/^orders +0 +0 +2 +0 +2 +0 +0 +0$/m);
    expect(described).toMatch(/^worker-1 +\S+ +1 +orders +\d{4}-/m);
    const json = JSON.parse((await cli(server, ["share-groups", "describe", "jobs", "--json"])).stdout);
    expect(json).toMatchObject({ groupId: "jobs", state: "Stable", members: [{ memberId: "worker-1" }] });

    const refused = await cli(server, ["share-groups", "delete", "jobs"]);
    expect(refused).toMatchObject({
      code: EXIT.CONFLICT,
      stderr: expect.stringContaining("NON_EMPTY_GROUP"),
    });
    await shareFetch(server, "jobs", { memberId: "worker-1", sessionEpoch: -1, maxRecords: 0 });
    expect(await cli(server, ["share-groups", "delete", "jobs"])).toMatchObject({
      code: 0,
      stderr: 'deleted share group "jobs"\n',
    });
    expect((await cli(server, ["share-groups", "list"])).stdout).toBe("");
    expect((await cli(server, ["share-groups", "describe", "jobs"])).code).toBe(EXIT.NOT_FOUND);
    expect((await cli(server, ["share-groups", "delete"])).code).toBe(EXIT.USAGE);
    expect((await cli(server, ["share-groups", "alter", "jobs"])).code).toBe(EXIT.USAGE);
    const bad = await cli(server, [
      "share-groups",
      "alter",
      "jobs",
      "-c",
      "__proto__=1",
      "--reset",
      "constructor",
    ]);
    expect(bad).toMatchObject({ code: EXIT.USAGE, stderr: expect.stringContaining("INVALID_CONFIG") });
    const range = await cli(server, ["share-groups", "alter", "jobs", "-c", "share.delivery.count.limit=99"]);
    expect(range).toMatchObject({ code: EXIT.USAGE, stderr: expect.stringContaining("INVALID_CONFIG") });
  });
});

describe("bench", () => {
  it("produces and consumes, printing a summary (JSON on request) and no progress bar off a terminal", async () => {
    const server = inProcessServer();
    const produced = await cli(server, [
      "bench",
      "produce",
      "--records",
      "2000",
      "--record-size",
      "10",
      "--batch-size",
      "100",
      "--partitions",
      "2",
      "--json",
    ]);
    expect(produced.code).toBe(0);
    const summary = JSON.parse(produced.stdout);
    expect(summary).toMatchObject({ benchmark: "produce", records: 2000, bytes: 20_000 });
    expect(summary.sendLatencyMs.p99).toBeGreaterThanOrEqual(summary.sendLatencyMs.p50);
    expect(produced.stderr).toBe('created topic "edgelog-bench" with 2 partition(s)\n');
    const consumed = await cli(server, ["bench", "consume"]);
    expect(consumed.stdout).toMatch(/^consume edgelog-bench: 2,000 records, 0\.02 MB in /);
    expect(consumed.stderr).toBe("");
    expect((await cli(server, ["bench", "consume", "--records", "2001"])).code).toBe(EXIT.USAGE);
  });

  it("draws a progress bar on a terminal", async () => {
    const server = inProcessServer();
    const stderr = capture({ isTTY: true });
    const t = terminal({ fetch: server.fetch, stderr });
    expect(await runCli(["bench", "produce", "-n", "300", "--batch-size", "100"], t.io)).toBe(0);
    expect(stderr.text()).toMatch(/\rproduce \[#+\] 100% 300\/300/);
  });
});
