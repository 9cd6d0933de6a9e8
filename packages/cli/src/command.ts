/**
 * @module
 * The shape of a command: its name, help, options and what it runs. A command gets its parsed arguments and a
 * context that connects to the server only when asked, so `--help` and usage errors never touch the network.
 */
import type { EdgeLog } from "@edgelog/core";
import type { ExitCode } from "./exit-codes.ts";
import type { CliIo } from "./io.ts";
import type { OptionSpec, Parsed } from "./options.ts";

export interface CommandContext {
  readonly io: CliIo;
  /** The client, created on first use; closed by the dispatcher after the command. */
  log(): EdgeLog;
  /** Writes a line to stderr: progress and diagnostics, never data. */
  note(line: string): Promise<void>;
}

export interface Command {
  /** The words that select it, e.g. `["topics", "create"]`. */
  readonly path: readonly string[];
  /** One line for the command list. */
  readonly summary: string;
  /** The full `--help` text, after the usage line. */
  readonly help: string;
  /** `edgelog <path> <usage>`. */
  readonly usage: string;
  readonly options: OptionSpec;
  run(parsed: Parsed, context: CommandContext): Promise<ExitCode>;
}
