/**
 * @module
 * `edgelog share-groups list | describe | alter | delete`: core's `Admin` share-group operations over the client
 * (docs/semantics.md §A11). `describe` prints the group's state and config, each share-partition's window (start
 * offset: records below it are done; end offset: the next the group takes) with its records in flight by state,
 * and each member with a session. Deleting is refused while a member has a session (`NON_EMPTY_GROUP`, exit 5).
 */
import type { Command } from "../command.ts";
import { EXIT, usageError } from "../exit-codes.ts";
import { expectPositionals, flag, listOption, parsePair } from "../options.ts";
import { renderTable } from "../table.ts";

const list: Command = {
  path: ["share-groups", "list"],
  usage: "[--json]",
  summary: "list share groups, one a line",
  help: "Prints every share group with state, one id a line (--json: a JSON array). Needs admin.",
  options: { json: { type: "boolean" } },
  async run(parsed, { io, log }) {
    expectPositionals(parsed, []);
    const ids = (await log().admin().listShareGroups()).groups.map((g) => g.groupId).sort();
    if (flag(parsed, "json")) await io.stdout.write(`${JSON.stringify(ids)}\n`);
    else for (const id of ids) await io.stdout.write(`${id}\n`);
    return EXIT.OK;
  },
};

const describe: Command = {
  path: ["share-groups", "describe"],
  usage: "GROUP [--json]",
  summary: "a share group's state, config, share-partitions and members",
  help: [
    "Prints the group's state and config, then per share-partition its START offset (records below it are",
    "done), END offset (the next it takes from the log) and the records in flight by state: AVAILABLE,",
    "ACQUIRED (locked to a member), ACKED (accepted or released for good) and ARCHIVED (rejected or failed),",
    "with DLQ copies still to write; then each member with a session. An unknown group is GROUP_ID_NOT_FOUND",
    "(exit 4).",
  ].join("\n"),
  options: { json: { type: "boolean" } },
  async run(parsed, { io, log }) {
    const [groupId] = expectPositionals(parsed, ["GROUP"]) as [string];
    const [group] = (await log().admin().describeShareGroups([groupId])).groups;
    if (group === undefined) throw new Error("the server described no group");
    if (flag(parsed, "json")) {
      await io.stdout.write(`${JSON.stringify(group)}\n`);
      return EXIT.OK;
    }
    await io.stdout.write(
      `share-group ${group.groupId}  state ${group.state}  members ${group.members.length}  ` +
        `partitions ${group.partitions.length}\n\n`,
    );
    const config = Object.entries(group.config).map(([name, value]) => [
      name,
      value === "" ? "-" : String(value),
    ]);
    await io.stdout.write(renderTable(["CONFIG", "VALUE"], config));
    if (group.partitions.length > 0) {
      const rows = group.partitions.map((p) => [
        p.topic,
        p.partition,
        p.startOffset,
        p.endOffset,
        p.inFlight.available,
        p.inFlight.acquired,
        p.inFlight.acknowledged,
        p.inFlight.archived,
        p.pendingDeadLetters,
      ]);
      const header = [
        "TOPIC",
        "PARTITION",
        "START",
        "END",
        "AVAILABLE",
        "ACQUIRED",
        "ACKED",
        "ARCHIVED",
        "DLQ",
      ];
      await io.stdout.write(`\n${renderTable(header, rows)}`);
    }
    if (group.members.length > 0) {
      const rows = group.members.map((m) => [
        m.memberId,
        m.clientId ?? "-",
        m.sessionEpoch,
        m.topics.join(",") || "-",
        new Date(m.lastSeenMs).toISOString(),
      ]);
      await io.stdout.write(`\n${renderTable(["MEMBER", "CLIENT", "EPOCH", "TOPICS", "LAST SEEN"], rows)}`);
    }
    return EXIT.OK;
  },
};

const alter: Command = {
  path: ["share-groups", "alter"],
  usage: "GROUP [--config KEY=VALUE]... [--reset KEY]...",
  summary: "change a share group's config",
  help: [
    "Sets the given group configs and returns each --reset one to its default; the others keep their values:",
    "  share.record.lock.duration.ms, share.delivery.count.limit, share.partition.max.record.locks,",
    "  share.auto.offset.reset (latest or earliest), share.session.timeout.ms,",
    "  errors.deadletterqueue.topic.name (a topic for rejected and failed records).",
    "Creates the group when it has none yet, so it can be configured before its first member. Refused whole",
    "(INVALID_CONFIG, exit 2) for an unknown name or a value out of range. Prints the config in force.",
  ].join("\n"),
  options: {
    config: { type: "string", short: "c", multiple: true },
    reset: { type: "string", multiple: true },
  },
  async run(parsed, { io, log, note }) {
    const [groupId] = expectPositionals(parsed, ["GROUP"]) as [string];
    // A Map, not an object: the names are the user's ("__proto__" must reach the server and be refused there).
    const changes = new Map<string, string | null>();
    for (const text of listOption(parsed, "config")) {
      const [key, value] = parsePair(text, "config");
      changes.set(key, value);
    }
    for (const key of listOption(parsed, "reset")) changes.set(key, null);
    if (changes.size === 0) throw usageError("give at least one --config KEY=VALUE or --reset KEY");
    const config = await log().admin().alterShareGroupConfig(groupId, Object.fromEntries(changes));
    await note(`changed ${changes.size} config${changes.size === 1 ? "" : "s"} of share group "${groupId}"`);
    const rows = Object.entries(config).map(([name, value]) => [name, value === "" ? "-" : String(value)]);
    await io.stdout.write(renderTable(["CONFIG", "VALUE"], rows));
    return EXIT.OK;
  },
};

const remove: Command = {
  path: ["share-groups", "delete"],
  usage: "GROUP...",
  summary: "delete share groups",
  help: [
    "Deletes each share group: its start offsets, records in flight and config. Refused while a member has a",
    "session (NON_EMPTY_GROUP, exit 5); an unknown group is GROUP_ID_NOT_FOUND (exit 4).",
  ].join("\n"),
  options: {},
  async run(parsed, { log, note }) {
    const ids = parsed.positionals;
    if (ids.length === 0) throw usageError("name at least one share group");
    await log().admin().deleteShareGroups(ids);
    for (const id of ids) await note(`deleted share group "${id}"`);
    return EXIT.OK;
  },
};

export const SHARE_GROUP_COMMANDS: readonly Command[] = [list, describe, alter, remove];
