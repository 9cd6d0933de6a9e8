/**
 * @module
 * `edgelog topics list | create | describe | alter | delete`: core's `Admin` over the client. Lists print one
 * name a line (`--long`: a table with each topic's cleanup policy, compacted ones marked); `describe` prints every
 * config with whether it is the default, then the partitions (or `--json`); changes confirm on stderr so stdout
 * stays data.
 */
import { describeTopicConfig, EdgeLogError, MAX_PARTITIONS, type TopicConfig } from "@edgelog/core";
import type { Command } from "../command.ts";
import { EXIT, usageError } from "../exit-codes.ts";
import { expectPositionals, flag, integerOption, listOption, parsePair } from "../options.ts";
import { renderTable } from "../table.ts";

/** Replication settings are listed only where a topic set them: the others never had replicas. */
const REPLICATION_CONFIGS = new Set([
  "min.insync.replicas",
  "replica.lag.time.max.ms",
  "unclean.leader.election.enable",
]);

const compactedMark = (config: TopicConfig): string => (config["cleanup.policy"] === "delete" ? "-" : "yes");

const list: Command = {
  path: ["topics", "list"],
  usage: "[--long] [--json]",
  summary: "list topic names, one a line",
  help: [
    "Prints every topic's name on its own line (--json: a JSON array).",
    "--long (-l): a table of NAME, PARTITIONS, CLEANUP.POLICY and COMPACTED (yes for compact and",
    "compact,delete); with --json, an array of { name, partitions, topicId, config }. One request either way.",
  ].join("\n"),
  options: { json: { type: "boolean" }, long: { type: "boolean", short: "l" } },
  async run(parsed, { io, log }) {
    expectPositionals(parsed, []);
    if (flag(parsed, "long")) {
      // The store's listing carries each topic's config: one request, where describing each would be one per topic.
      const topics = [...(await log().store.listTopics())].sort((a, b) => (a.name < b.name ? -1 : 1));
      if (flag(parsed, "json")) {
        await io.stdout.write(`${JSON.stringify(topics)}\n`);
        return EXIT.OK;
      }
      const rows = topics.map((t) => [
        t.name,
        t.partitions,
        t.config["cleanup.policy"],
        compactedMark(t.config),
      ]);
      await io.stdout.write(renderTable(["NAME", "PARTITIONS", "CLEANUP.POLICY", "COMPACTED"], rows));
      return EXIT.OK;
    }
    const names = (await log().admin().listTopics()).sort();
    if (flag(parsed, "json")) await io.stdout.write(`${JSON.stringify(names)}\n`);
    else for (const name of names) await io.stdout.write(`${name}\n`);
    return EXIT.OK;
  },
};

const create: Command = {
  path: ["topics", "create"],
  usage: "NAME [--partitions N] [--config KEY=VALUE]... [--if-not-exists]",
  summary: "create a topic",
  help: [
    "Creates a topic with N partitions (default 1, at most 1000) and the given configs:",
    "  retention.ms (-1 = forever), retention.bytes (per partition, -1 = unlimited), max.message.bytes,",
    "  cleanup.policy (delete, compact or compact,delete: keep the latest record per key),",
    "  delete.retention.ms, min.compaction.lag.ms, max.compaction.lag.ms, min.cleanable.dirty.ratio.",
    "An existing topic is an error (TOPIC_ALREADY_EXISTS, exit 5) unless --if-not-exists.",
  ].join("\n"),
  options: {
    partitions: { type: "string", short: "p" },
    config: { type: "string", short: "c", multiple: true },
    "if-not-exists": { type: "boolean" },
  },
  async run(parsed, { log, note }) {
    const [name] = expectPositionals(parsed, ["NAME"]) as [string];
    const partitions = integerOption(parsed, "partitions", 1, 1, MAX_PARTITIONS);
    const configEntries = listOption(parsed, "config").map((text) => {
      const [key, value] = parsePair(text, "config");
      return { name: key, value };
    });
    const created = await log()
      .admin()
      .createTopics({ topics: [{ topic: name, numPartitions: partitions, configEntries }] });
    if (!created) {
      if (flag(parsed, "if-not-exists")) {
        await note(`topic "${name}" already exists`);
        return EXIT.OK;
      }
      throw new EdgeLogError("TOPIC_ALREADY_EXISTS", `topic "${name}" already exists`, {
        context: { topic: name },
      });
    }
    await note(`created topic "${name}" with ${partitions} partition${partitions === 1 ? "" : "s"}`);
    return EXIT.OK;
  },
};

const describe: Command = {
  path: ["topics", "describe"],
  usage: "NAME [--json]",
  summary: "a topic's config and each partition's offsets",
  help: [
    "Prints the topic's id and cleanup policy (compacted ones say so), every config with its value and whether",
    "it is the default (as describeConfigs lists them), then per partition its log start (low), high watermark",
    "(high) and record count — for a compacted topic the offsets between them (OFFSETS), of which compaction",
    "may have removed some.",
  ].join("\n"),
  options: { json: { type: "boolean" } },
  async run(parsed, { io, log }) {
    const [name] = expectPositionals(parsed, ["NAME"]) as [string];
    const topic = await log().admin().describeTopic(name);
    if (flag(parsed, "json")) {
      await io.stdout.write(`${JSON.stringify(topic)}\n`);
      return EXIT.OK;
    }
    const policy = topic.config["cleanup.policy"];
    const compacted = policy === "delete" ? "" : "  (compacted: offsets have gaps)";
    await io.stdout.write(
      `topic ${topic.name}  id ${topic.topicId}  cleanup.policy ${policy}${compacted}\n\n`,
    );
    const configs = describeTopicConfig(topic.config)
      .filter((entry) => !(entry.isDefault && REPLICATION_CONFIGS.has(entry.name)))
      .map((entry) => [entry.name, entry.value, entry.isDefault ? "default" : "topic"]);
    await io.stdout.write(`${renderTable(["CONFIG", "VALUE", "SOURCE"], configs)}\n`);
    const rows = topic.partitions.map((p) => [
      p.partition,
      p.logStartOffset,
      p.highWatermark,
      p.highWatermark - p.logStartOffset,
    ]);
    const count = policy === "delete" ? "RECORDS" : "OFFSETS";
    await io.stdout.write(renderTable(["PARTITION", "LOW", "HIGH", count], rows));
    return EXIT.OK;
  },
};

const alter: Command = {
  path: ["topics", "alter"],
  usage: "NAME [--config KEY=VALUE]... [--reset KEY]...",
  summary: "change a topic's configs",
  help: [
    "Sets the given configs (as `topics create` takes them) and returns each --reset one to its default; the",
    "others keep their values. Refused whole (INVALID_CONFIG, exit 2) for an unknown or read-only name or a",
    "value out of range, e.g. `--config cleanup.policy=compact` turns the topic compacted.",
  ].join("\n"),
  options: {
    config: { type: "string", short: "c", multiple: true },
    reset: { type: "string", multiple: true },
  },
  async run(parsed, { log, note }) {
    const [name] = expectPositionals(parsed, ["NAME"]) as [string];
    const configEntries: { name: string; value: string | null }[] = listOption(parsed, "config").map(
      (text) => {
        const [key, value] = parsePair(text, "config");
        return { name: key, value };
      },
    );
    for (const key of listOption(parsed, "reset")) configEntries.push({ name: key, value: null });
    if (configEntries.length === 0) throw usageError("give at least one --config KEY=VALUE or --reset KEY");
    await log()
      .admin()
      .alterConfigs({ resources: [{ name, configEntries }] });
    await note(
      `changed ${configEntries.length} config${configEntries.length === 1 ? "" : "s"} of topic "${name}"`,
    );
    return EXIT.OK;
  },
};

const remove: Command = {
  path: ["topics", "delete"],
  usage: "NAME",
  summary: "delete a topic and its records",
  help: "Deletes the topic with all its records. An unknown topic is UNKNOWN_TOPIC_OR_PARTITION (exit 4).",
  options: {},
  async run(parsed, { log, note }) {
    const [name] = expectPositionals(parsed, ["NAME"]) as [string];
    await log()
      .admin()
      .deleteTopics({ topics: [name] });
    await note(`deleted topic "${name}"`);
    return EXIT.OK;
  },
};

export const TOPIC_COMMANDS: readonly Command[] = [list, create, describe, alter, remove];
