/**
 * @module
 * `runCli(argv, io)`: finds the command, parses its flags, runs it against the target edgelog and turns any
 * failure into `edgelog: CODE: message` on stderr and an exit code from the documented table. It never exits
 * the process itself (`main.ts` does), so tests drive it in-process.
 */
import type { EdgeLog } from "@edgelog/core";
import type { Command, CommandContext } from "./command.ts";
import { BENCH_COMMANDS } from "./commands/bench.ts";
import { consume } from "./commands/consume.ts";
import { GROUP_COMMANDS } from "./commands/groups.ts";
import { produce } from "./commands/produce.ts";
import { SHARE_GROUP_COMMANDS } from "./commands/share-groups.ts";
import { TOPIC_COMMANDS } from "./commands/topics.ts";
import { connect, DEFAULT_URL, resolveTarget } from "./connect.ts";
import { EXIT, type ExitCode, exitCodeFor, formatError, usageError } from "./exit-codes.ts";
import type { CliIo } from "./io.ts";
import { flag, parseCommand, stringOption } from "./options.ts";

export { EXIT, type ExitCode } from "./exit-codes.ts";
export type { CliIo, Output } from "./io.ts";

export const VERSION = "0.1.0";

export const COMMANDS: readonly Command[] = [
  ...TOPIC_COMMANDS,
  produce,
  consume,
  ...GROUP_COMMANDS,
  ...SHARE_GROUP_COMMANDS,
  ...BENCH_COMMANDS,
];

/** Runs one `edgelog` invocation; resolves with its exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const { leading, rest } = splitLeadingOptions(argv);
  const command = findCommand(rest);
  const words = command?.path ?? commandWords(rest);
  try {
    if (leading.version) {
      await io.stdout.write(`edgelog ${VERSION}\n`);
      return EXIT.OK;
    }
    if (command === undefined) {
      const group = COMMANDS.filter((c) => words.length > 0 && c.path[0] === words[0]);
      const asked = leading.help || rest.includes("--help") || rest.includes("-h") || rest.length === 0;
      if (asked && (words.length === 0 || group.length > 0)) {
        await io.stdout.write(overview(group.length > 0 ? group : COMMANDS, words));
        return EXIT.OK;
      }
      if (group.length > 0 && rest.length === 1) {
        await io.stderr.write(overview(group, words));
        return EXIT.USAGE;
      }
      throw usageError(
        words.length === 0
          ? `expected a command, got "${rest[0]}"`
          : group.length > 0
            ? `unknown command "${rest.slice(0, 2).join(" ")}" (${group.map((c) => c.path.join(" ")).join(", ")})`
            : `unknown command "${words[0]}"`,
      );
    }
    const parsed = parseCommand(rest.slice(command.path.length), command.options);
    if (leading.help || flag(parsed, "help")) {
      await io.stdout.write(commandHelp(command));
      return EXIT.OK;
    }
    const target = resolveTarget(stringOption(parsed, "url") ?? leading.url, io);
    let log: EdgeLog | undefined;
    const context: CommandContext = {
      io,
      log: () => {
        log ??= connect(target, io);
        return log;
      },
      note: async (line) => {
        await io.stderr.write(`${line}\n`);
      },
    };
    try {
      return await command.run(parsed, context);
    } finally {
      await log?.close().catch(() => undefined);
    }
  } catch (error) {
    await io.stderr.write(formatError(error, words.join(" ") || "edgelog"));
    return exitCodeFor(error);
  }
}

/** Global options given before the command (`edgelog --url U topics list`). */
function splitLeadingOptions(argv: readonly string[]): {
  leading: { url: string | undefined; help: boolean; version: boolean };
  rest: string[];
} {
  const leading = { url: undefined as string | undefined, help: false, version: false };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--help" || arg === "-h") leading.help = true;
    else if (arg === "--version" || arg === "-V") leading.version = true;
    else if (arg === "--url" && i + 1 < argv.length) leading.url = argv[++i];
    else if (arg.startsWith("--url=")) leading.url = arg.slice("--url=".length);
    else break;
  }
  return { leading, rest: argv.slice(i) };
}

function findCommand(rest: readonly string[]): Command | undefined {
  return COMMANDS.find((c) => c.path.every((word, i) => rest[i] === word));
}

/** The leading words that are not flags: what the user meant as the command. */
function commandWords(rest: readonly string[]): string[] {
  const words: string[] = [];
  for (const arg of rest) {
    if (arg.startsWith("-") || words.length === 2) break;
    words.push(arg);
  }
  return words;
}

function overview(commands: readonly Command[], words: readonly string[]): string {
  const width = Math.max(...commands.map((c) => c.path.join(" ").length));
  const list = commands.map((c) => `  ${c.path.join(" ").padEnd(width)}  ${c.summary}`).join("\n");
  return [
    `Usage: edgelog ${words.length > 0 ? `${words[0]} ` : ""}<command> [options]`,
    "",
    list,
    "",
    "Global options:",
    `  --url URL     the edgelog server (default: EDGELOG_URL, else ${DEFAULT_URL}, what 'npm start' serves)`,
    "  -h, --help    help for any command: edgelog <command> --help",
    "  --version     print the version",
    "Environment: EDGELOG_URL, EDGELOG_TOKEN (a bearer token, for a server with authentication).",
    "",
    "Exit codes: 0 ok, 1 server or network error, 2 usage or invalid input, 3 authentication or",
    "authorization, 4 topic / partition / group not found, 5 conflict (exists, group not empty),",
    "130 interrupted.",
    "",
  ].join("\n");
}

function commandHelp(command: Command): string {
  return `Usage: edgelog ${command.path.join(" ")} ${command.usage}\n\n${command.summary[0]?.toUpperCase()}${command.summary.slice(1)}.\n\n${command.help}\n\nGlobal options: --url URL (or EDGELOG_URL); EDGELOG_TOKEN for a server with authentication.\n`;
}
