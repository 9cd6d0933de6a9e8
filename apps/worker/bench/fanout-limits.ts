/**
 * @module
 * Where the fan-out benchmark stops on this machine, and why, before a count is tried: the open-files limit (each
 * reader is a connection, and workerd holds two descriptors per connection), and the CPU a count would need when
 * delivery time grows with the readers (judged from the count below it). The reasons are written for the report.
 *
 * The two descriptors are workerd's own: it holds every accepted connection's socket twice (300 WebSocket readers
 * left 600 more socket descriptors in workerd's /proc/<pid>/fd, pointing at 300 distinct socket inodes, each one
 * the server end of a reader's loopback connection). So 10,000 readers of one partition need 20,000 descriptors in
 * the one workerd that holds the partition's object — the open-files hard limit of this machine (20,000, which
 * even root may not raise here) before workerd's own. Moving the readers to other processes would not help: the
 * benchmark's own process holds one descriptor per reader, half what workerd does.
 */
import { readFileSync } from "node:fs";

/** Descriptors each process keeps for itself besides the readers' (control requests, stdio, files, storage). */
const SPARE_DESCRIPTORS = 512;
/** Descriptors workerd holds per reader's connection (each socket twice), as measured in /proc for every transport. */
const WORKERD_DESCRIPTORS_PER_READER = 2;

/** The soft limit on open files of this process (workerd, started by it, inherits the same), or null if unknown. */
export function openFilesLimit(): number | null {
  try {
    const line = /^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    return line === null ? null : Number(line[1]);
  } catch {
    return null;
  }
}

/**
 * Why `readers` readers cannot run here, before trying: each holds one socket in this process and two descriptors
 * in workerd (measured for every transport: its connection and one more), and both processes must stay under the
 * open-files limit (workerd inherits this process's) with room to spare.
 */
export function tooManyForThisMachine(readers: number, limit = openFilesLimit()): string | null {
  const needed = WORKERD_DESCRIPTORS_PER_READER * readers + SPARE_DESCRIPTORS;
  if (limit === null || needed <= limit) return null;
  const n = (count: number) => count.toLocaleString("en-US");
  return (
    `file descriptors: ${n(readers)} readers need ${n(WORKERD_DESCRIPTORS_PER_READER * readers)} in workerd ` +
    `(${WORKERD_DESCRIPTORS_PER_READER} per connection: it holds each socket twice) and ${n(readers)} sockets here, past the open-files limit ` +
    `of ${n(limit)} (ulimit -n; at most ${n(Math.floor((limit - SPARE_DESCRIPTORS) / WORKERD_DESCRIPTORS_PER_READER))} readers fit)`
  );
}

/**
 * Why `next` readers would not be delivered to within `stepTimeoutMs`, going by the delivery p50 measured at
 * `readers`: a transport whose delivery time grows with its readers is stopped on the CPU it would need rather
 * than run for minutes.
 */
export function tooSlowForThisMachine(
  stepTimeoutMs: number,
  readers: number,
  p50Ms: number,
  next: number,
): string | null {
  const predicted = (p50Ms * next) / readers;
  if (predicted <= stepTimeoutMs) return null;
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return (
    `CPU: one batch reached ${readers.toLocaleString("en-US")} readers in ${s(p50Ms)} (p50) here; delivery ` +
    `grows with the readers, so ${next.toLocaleString("en-US")} would take about ${s(predicted)} per batch, ` +
    `past the ${s(stepTimeoutMs)} allowed`
  );
}

/** A count of readers the plan asked for that this machine cannot hold, and the count measured instead. */
export interface Substitution {
  readonly asked: number;
  readonly measured: number;
  readonly reason: string;
}

/**
 * The plan's counts with each one that does not fit the open-files limit replaced by the most that does, rounded
 * down to a hundred, so the largest count run is as many as this machine holds.
 */
export function fitToThisMachine(
  readers: readonly number[],
  limit = openFilesLimit(),
): { readonly readers: number[]; readonly substituted: Substitution[] } {
  const substituted: Substitution[] = [];
  const fitted = readers.map((asked) => {
    const reason = tooManyForThisMachine(asked, limit);
    if (reason === null || limit === null) return asked;
    const most = Math.floor((limit - SPARE_DESCRIPTORS) / WORKERD_DESCRIPTORS_PER_READER);
    const measured = Math.max(1, Math.floor(most / 100) * 100);
    substituted.push({ asked, measured, reason });
    return measured;
  });
  return { readers: [...new Set(fitted)].sort((a, b) => a - b), substituted };
}
