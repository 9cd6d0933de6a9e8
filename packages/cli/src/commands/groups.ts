/**
 * @module
 * `edgelog groups list | describe | reset | delete`: core's `Admin` group operations over the client. `reset`
 * plans each partition's move (current → new, and the lag it leaves) from the topic's offsets, prints the plan,
 * and with `--dry-run` stops there; otherwise it sets the offsets, which the server allows only while the group
 * has no members (`NON_EMPTY_GROUP`, exit 5).
 */
import { type Admin, type GroupDescription, isEdgeLogError, MAX_PARTITIONS } from "@edgelog/core";
import type { Command } from "../command.ts";
import { EXIT, usageError } from "../exit-codes.ts";
import {
  expectPositionals,
  flag,
  listOption,
  type Parsed,
  parseInteger,
  parseTime,
  stringOption,
} from "../options.ts";
import { renderTable } from "../table.ts";

const list: Command = {
  path: ["groups", "list"],
  usage: "[--json]",
  summary: "list consumer groups, one a line",
  help: "Prints every group with members or committed offsets, one id a line (--json: a JSON array).",
  options: { json: { type: "boolean" } },
  async run(parsed, { io, log }) {
    expectPositionals(parsed, []);
    const ids = (await log().admin().listGroups()).groups.map((g) => g.groupId).sort();
    if (flag(parsed, "json")) await io.stdout.write(`${JSON.stringify(ids)}\n`);
    else for (const id of ids) await io.stdout.write(`${id}\n`);
    return EXIT.OK;
  },
};

const describe: Command = {
  path: ["groups", "describe"],
  usage: "GROUP [--json]",
  summary: "a group's state, members, committed offsets and lag",
  help: [
    "Prints the group's state, epoch and assignor, then per partition it committed to: the committed offset",
    "(- when none), the high watermark, the lag and the member that owns it; then each member.",
  ].join("\n"),
  options: { json: { type: "boolean" } },
  async run(parsed, { io, log }) {
    const [groupId] = expectPositionals(parsed, ["GROUP"]) as [string];
    const admin = log().admin();
    const group = await describeOrNull(admin, groupId);
    const offsets = await admin.fetchOffsets({ groupId });
    if (group === null && offsets.length === 0) {
      // Neither members nor offsets: the server's own answer for an unknown group.
      await admin.describeGroups([groupId]);
    }
    if (flag(parsed, "json")) {
      await io.stdout.write(`${JSON.stringify({ group, offsets })}\n`);
      return EXIT.OK;
    }
    const members = group?.members ?? [];
    await io.stdout.write(
      `group ${groupId}  state ${group?.state ?? "Empty"}  epoch ${group?.groupEpoch ?? 0}  ` +
        `assignor ${group?.assignor ?? "-"}  members ${members.length}\n`,
    );
    const owner = new Map<string, string>();
    for (const member of members) {
      for (const { topic, partitions } of member.assignment) {
        for (const partition of partitions) owner.set(`${topic}\u0000${partition}`, member.memberId);
      }
    }
    const rows = offsets.flatMap(({ topic, partitions }) =>
      partitions.map((p) => [
        topic,
        p.partition,
        p.offset < 0 ? "-" : p.offset,
        p.high,
        p.lag < 0 ? "-" : p.lag,
        owner.get(`${topic}\u0000${p.partition}`) ?? "-",
      ]),
    );
    if (rows.length > 0) {
      await io.stdout.write(
        `\n${renderTable(["TOPIC", "PARTITION", "OFFSET", "HIGH", "LAG", "MEMBER"], rows)}`,
      );
    }
    if (members.length > 0) {
      const memberRows = members.map((m) => [
        m.memberId,
        m.memberEpoch,
        m.clientId ?? "-",
        m.assignment.map((a) => `${a.topic}:${a.partitions.join(",")}`).join(" ") || "-",
      ]);
      await io.stdout.write(`\n${renderTable(["MEMBER", "EPOCH", "CLIENT", "ASSIGNMENT"], memberRows)}`);
    }
    return EXIT.OK;
  },
};

type Target =
  | { readonly kind: "earliest" }
  | { readonly kind: "latest" }
  | { readonly kind: "time"; readonly timestamp: number }
  | { readonly kind: "offset"; readonly offset: number };

/** One partition's move. */
export interface ResetStep {
  readonly partition: number;
  /** `-1` when the group never committed on this partition. */
  readonly current: number;
  readonly next: number;
  /** The lag the new offset leaves: high watermark − new offset. */
  readonly lag: number;
}

const reset: Command = {
  path: ["groups", "reset"],
  usage:
    "GROUP --topic T (--to-earliest | --to-latest | --to-time ISO | --to-offset N) [--partition N]... [--dry-run]",
  summary: "move a group's committed offsets",
  help: [
    "Sets the group's committed offsets on a topic's partitions (all, or those given with --partition):",
    "  --to-earliest      the log start",
    "  --to-latest        the high watermark (skip everything not yet read)",
    "  --to-time ISO      the first record at or after this time (ISO 8601 or epoch ms; the end if none)",
    "  --to-offset N      offset N, clamped to the partition's log",
    "Prints the plan, PARTITION CURRENT NEW LAG (CURRENT - when never committed), on stdout.",
    "  --dry-run          only print the plan; change nothing",
    "The group must have no members (stop its consumers first): otherwise NON_EMPTY_GROUP, exit 5.",
  ].join("\n"),
  options: {
    topic: { type: "string", short: "t" },
    partition: { type: "string", short: "p", multiple: true },
    "to-earliest": { type: "boolean" },
    "to-latest": { type: "boolean" },
    "to-time": { type: "string" },
    "to-offset": { type: "string" },
    "dry-run": { type: "boolean" },
  },
  async run(parsed, { io, log, note }) {
    const [groupId] = expectPositionals(parsed, ["GROUP"]) as [string];
    const topic = stringOption(parsed, "topic");
    if (topic === undefined) throw usageError("--topic is required");
    const target = resetTarget(parsed);
    const only = listOption(parsed, "partition").map((p) =>
      parseInteger(p, "partition", 0, MAX_PARTITIONS - 1),
    );
    const admin = log().admin();
    const plan = await planReset(admin, groupId, topic, target, only);
    const dryRun = flag(parsed, "dry-run");
    if (dryRun) {
      const group = await describeOrNull(admin, groupId);
      if (group !== null && group.members.length > 0) {
        await note(
          `warning: group "${groupId}" has ${group.members.length} member(s); the reset will be refused ` +
            "(NON_EMPTY_GROUP) until its consumers stop",
        );
      }
    } else {
      await admin.setOffsets({
        groupId,
        topic,
        partitions: plan.map((step) => ({ partition: step.partition, offset: step.next })),
      });
    }
    const rows = plan.map((s) => [s.partition, s.current < 0 ? "-" : s.current, s.next, s.lag]);
    await io.stdout.write(renderTable(["PARTITION", "CURRENT", "NEW", "LAG"], rows));
    await note(
      dryRun
        ? `dry run: group "${groupId}" not changed`
        : `reset group "${groupId}" on "${topic}" (${plan.length} partition${plan.length === 1 ? "" : "s"})`,
    );
    return EXIT.OK;
  },
};

const remove: Command = {
  path: ["groups", "delete"],
  usage: "GROUP",
  summary: "delete a group and its committed offsets",
  help: "Deletes the group's committed offsets. The group must have no members (NON_EMPTY_GROUP, exit 5).",
  options: {},
  async run(parsed, { log, note }) {
    const [groupId] = expectPositionals(parsed, ["GROUP"]) as [string];
    await log().admin().deleteGroups([groupId]);
    await note(`deleted group "${groupId}"`);
    return EXIT.OK;
  },
};

function resetTarget(parsed: Parsed): Target {
  const targets: Target[] = [];
  if (flag(parsed, "to-earliest")) targets.push({ kind: "earliest" });
  if (flag(parsed, "to-latest")) targets.push({ kind: "latest" });
  const time = stringOption(parsed, "to-time");
  if (time !== undefined) targets.push({ kind: "time", timestamp: parseTime(time, "to-time") });
  const offset = stringOption(parsed, "to-offset");
  if (offset !== undefined) targets.push({ kind: "offset", offset: parseInteger(offset, "to-offset") });
  const [first] = targets;
  if (targets.length !== 1 || first === undefined) {
    throw usageError("give exactly one of --to-earliest, --to-latest, --to-time and --to-offset");
  }
  return first;
}

/** Where each partition would move, from the topic's offsets now. */
export async function planReset(
  admin: Admin,
  groupId: string,
  topic: string,
  target: Target,
  only: readonly number[] = [],
): Promise<ResetStep[]> {
  const bounds = await admin.fetchTopicOffsets(topic);
  for (const partition of only) {
    if (!bounds.some((b) => b.partition === partition)) {
      throw usageError(`topic "${topic}" has no partition ${partition}`);
    }
  }
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const byTime =
    target.kind === "time" ? await admin.fetchTopicOffsetsByTimestamp(topic, target.timestamp) : undefined;
  return bounds
    .filter((b) => only.length === 0 || only.includes(b.partition))
    .map(({ partition, low, high }) => {
      const next =
        target.kind === "earliest"
          ? low
          : target.kind === "latest"
            ? high
            : target.kind === "offset"
              ? Math.min(Math.max(target.offset, low), high)
              : (byTime?.find((o) => o.partition === partition)?.offset ?? high);
      const current = committed?.partitions.find((p) => p.partition === partition)?.offset ?? -1;
      return { partition, current, next, lag: high - next };
    });
}

/** The group's description, or `null` when the server knows no such group (it may still have offsets). */
async function describeOrNull(admin: Admin, groupId: string): Promise<GroupDescription | null> {
  try {
    const { groups } = await admin.describeGroups([groupId]);
    return groups[0] ?? null;
  } catch (error) {
    if (isEdgeLogError(error) && error.code === "GROUP_ID_NOT_FOUND") return null;
    throw error;
  }
}

export const GROUP_COMMANDS: readonly Command[] = [list, describe, reset, remove];
