/**
 * @module
 * What a command may touch of the outside world — stdin, stdout, stderr, the environment, signals, `fetch` —
 * behind one interface, so commands run the same in the `edgelog` process and in tests. Output honours
 * backpressure (a slow pipe slows the command down instead of filling memory) and turns a closed pipe (`EPIPE`,
 * the reader went away, as `head` does) into a flag the command checks, never an exception.
 */
import type { Readable, Writable } from "node:stream";

/** A stream written with backpressure: `write` resolves once the chunk was handed to the operating system. */
export interface Output {
  /**
   * Writes `chunk` and resolves once it was handed on (so a slow reader slows the writer down): `true` when it
   * was, `false` when the reader went away first (see `closed`) and the chunk is lost.
   */
  write(chunk: string | Uint8Array): Promise<boolean>;
  /** True once the reader went away (`EPIPE`): nothing more will be written. */
  readonly closed: boolean;
  /** Resolves when the reader goes away. */
  readonly whenClosed: Promise<void>;
  /** Whether the stream is a terminal (progress bars are drawn only there). */
  readonly isTTY: boolean;
  /** Terminal width, when it is one. */
  readonly columns: number | undefined;
  /** Resolves once everything written so far was handed on (or the reader left). */
  flush(): Promise<void>;
}

export interface CliIo {
  readonly stdin: AsyncIterable<Uint8Array>;
  readonly stdout: Output;
  readonly stderr: Output;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Calls `listener` on SIGINT / SIGTERM until the returned function is called. */
  onInterrupt(listener: () => void): () => void;
  /** The `fetch` the client uses (tests pass the server app's). Default: the global one. */
  readonly fetch?: typeof fetch;
  /** Milliseconds, monotonic. */
  now(): number;
}

/** Wraps a Node writable: writes resolve once handed on, and `EPIPE` means the reader left. */
export function nodeOutput(stream: Writable & { isTTY?: boolean; columns?: number }): Output {
  let closed = false;
  let markClosed = (): void => {};
  const whenClosed = new Promise<void>((resolve) => {
    markClosed = () => {
      closed = true;
      resolve();
    };
  });
  // EPIPE: the reader closed the pipe. Any other error on an output is as final: either way, stop writing.
  stream.on("error", markClosed);
  stream.on("close", markClosed);
  return {
    get closed() {
      return closed;
    },
    whenClosed,
    isTTY: stream.isTTY === true,
    columns: stream.columns,
    async flush() {
      await write("");
    },
    write,
  };
  function write(chunk: string | Uint8Array): Promise<boolean> {
    if (closed) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      // The callback runs once the chunk left Node's buffer — later when the pipe is full, which is the
      // backpressure — or with the error that says the reader left.
      // A destroyed stream calls back pending writes with an error too, so every write settles.
      stream.write(chunk, (error) => resolve(error == null && !closed));
    });
  }
}

/**
 * The `edgelog` process's own streams, environment and signals. The first SIGINT / SIGTERM goes to the command's
 * listeners, so it can finish cleanly; a second one, or one while no command listens, exits at once with 130.
 */
export function processIo(): CliIo {
  const listeners = new Set<() => void>();
  let interrupts = 0;
  const onSignal = (): void => {
    interrupts++;
    if (interrupts > 1 || listeners.size === 0) process.exit(INTERRUPTED_EXIT_CODE);
    for (const listener of [...listeners]) listener();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    stdin: process.stdin as Readable & AsyncIterable<Uint8Array>,
    stdout: nodeOutput(process.stdout),
    stderr: nodeOutput(process.stderr),
    env: process.env,
    onInterrupt(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    now: () => performance.now(),
  };
}

/** 128 + SIGINT, as shells report a process stopped by Ctrl-C. */
const INTERRUPTED_EXIT_CODE = 130;
