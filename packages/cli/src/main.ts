#!/usr/bin/env node
/**
 * @module
 * The `edgelog` executable: runs the command with the process's streams, then exits with its code once stdout
 * and stderr are flushed, so an idle HTTP connection or an unread stdin cannot keep a finished command alive.
 */
import { runCli } from "./cli.ts";
import { processIo } from "./io.ts";

const io = processIo();
const code = await runCli(process.argv.slice(2), io);
await Promise.all([io.stdout.flush(), io.stderr.flush()]);
process.exit(code);
