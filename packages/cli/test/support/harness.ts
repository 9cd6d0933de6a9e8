/**
 * Drives `runCli` in-process: a fake terminal (stdin from a string or chunks, stdout / stderr captured, a reader
 * that can leave after some bytes, interrupts on demand) and the real server app over a MemoryStore as `fetch`.
 */
import { MemoryStore } from "@edgelog/core";
import { createApp } from "@edgelog/server";
import { type CliIo, type ExitCode, type Output, runCli } from "../../src/cli.ts";

export interface CapturedOutput extends Output {
  readonly bytes: () => Uint8Array;
  readonly text: () => string;
  /** Simulates the reader leaving (EPIPE). */
  close(): void;
}

/**
 * A captured stream. `acceptBytes`: the reader leaves once that many bytes were written — a write that would go
 * past it is refused (its bytes never arrive), as a write after the reader closed the pipe fails with EPIPE.
 */
export function capture(options: { isTTY?: boolean; acceptBytes?: number } = {}): CapturedOutput {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let closed = false;
  let markClosed = (): void => {};
  const whenClosed = new Promise<void>((resolve) => {
    markClosed = resolve;
  });
  const close = (): void => {
    closed = true;
    markClosed();
  };
  const bytes = (): Uint8Array => Buffer.concat(chunks);
  return {
    get closed() {
      return closed;
    },
    whenClosed,
    isTTY: options.isTTY ?? false,
    columns: 80,
    close,
    bytes,
    text: () => Buffer.from(bytes()).toString("utf8"),
    async flush() {},
    async write(chunk) {
      if (closed) return false;
      const data = typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk;
      if (options.acceptBytes !== undefined && size + data.byteLength > options.acceptBytes) {
        close();
        return false;
      }
      chunks.push(data);
      size += data.byteLength;
      return true;
    },
  };
}

export interface Terminal {
  readonly io: CliIo;
  readonly stdout: CapturedOutput;
  readonly stderr: CapturedOutput;
  /** Sends SIGINT to the command. */
  interrupt(): void;
}

export interface TerminalOptions {
  readonly stdin?: string | Uint8Array | AsyncIterable<Uint8Array>;
  readonly env?: Record<string, string>;
  readonly fetch?: typeof fetch;
  readonly stdout?: CapturedOutput;
  readonly stderr?: CapturedOutput;
}

export function terminal(options: TerminalOptions = {}): Terminal {
  const listeners = new Set<() => void>();
  const stdout = options.stdout ?? capture();
  const stderr = options.stderr ?? capture();
  const input = options.stdin ?? "";
  const stdin: AsyncIterable<Uint8Array> =
    typeof input === "string" || input instanceof Uint8Array
      ? (async function* () {
          const data = typeof input === "string" ? new TextEncoder().encode(input) : input;
          if (data.byteLength > 0) yield data;
        })()
      : input;
  return {
    stdout,
    stderr,
    interrupt: () => {
      for (const listener of [...listeners]) listener();
    },
    io: {
      stdin,
      stdout,
      stderr,
      env: options.env ?? {},
      onInterrupt(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      now: () => performance.now(),
    },
  };
}

/** The server app over one MemoryStore, reachable through the returned `fetch`. */
export function inProcessServer(): { store: MemoryStore; fetch: typeof fetch } {
  const store = new MemoryStore();
  const app = createApp({ auth: "none", store: () => store });
  const env = {};
  return {
    store,
    fetch: async (input, init) => app.fetch(new Request(input, init), env),
  };
}

export interface Run {
  readonly code: ExitCode;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutBytes: Uint8Array;
}

/** Runs one command line against `server` with `options` for the terminal. */
export async function cli(
  server: { fetch: typeof fetch },
  argv: readonly string[],
  options: Omit<TerminalOptions, "fetch"> = {},
): Promise<Run> {
  const t = terminal({ ...options, fetch: server.fetch });
  const code = await runCli(argv, t.io);
  return { code, stdout: t.stdout.text(), stderr: t.stderr.text(), stdoutBytes: t.stdout.bytes() };
}
