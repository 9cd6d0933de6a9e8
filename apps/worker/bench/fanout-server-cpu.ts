/**
 * @module
 * The CPU the fan-out benchmark's server spends — every workerd process this process started (the Worker and its
 * Durable Objects run there) — read from /proc, so delivery to the last reader can be split between the server's
 * send loop and the readers' own reading. Linux only; elsewhere it answers `null` and the figure is left out.
 */
import { readdirSync, readFileSync } from "node:fs";

/** `utime`/`stime` in /proc are in clock ticks: USER_HZ, 100 on every Linux this runs on. */
const TICKS_PER_SECOND = 100;

interface Stat {
  readonly ppid: number;
  readonly name: string;
  readonly userTicks: number;
  readonly systemTicks: number;
}

/** CPU (ms) used so far: in total, and of it in the kernel (for a socket server, mostly sending and receiving). */
export interface CpuTime {
  readonly totalMs: number;
  readonly systemMs: number;
}

function stat(pid: number): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The name is in parentheses and may hold spaces; the fields after it are space-separated.
    const close = text.lastIndexOf(")");
    const name = text.slice(text.indexOf("(") + 1, close);
    const fields = text.slice(close + 2).split(" ");
    // After the name: state(0) ppid(1) … utime(11) stime(12).
    return { ppid: Number(fields[1]), name, userTicks: Number(fields[11]), systemTicks: Number(fields[12]) };
  } catch {
    return null;
  }
}

/** CPU used so far by the workerd processes descended from this one, or `null` where /proc is not there. */
export function serverCpu(): CpuTime | null {
  let pids: number[];
  try {
    pids = readdirSync("/proc")
      .filter((entry) => /^\d+$/.test(entry))
      .map(Number);
  } catch {
    return null;
  }
  const stats = new Map<number, Stat>();
  for (const pid of pids) {
    const s = stat(pid);
    if (s !== null) stats.set(pid, s);
  }
  const ours = (pid: number): boolean => {
    for (let at = stats.get(pid)?.ppid, hops = 0; at !== undefined && hops < 64; hops++) {
      if (at === process.pid) return true;
      at = stats.get(at)?.ppid;
    }
    return false;
  };
  let user = 0;
  let system = 0;
  let found = false;
  for (const [pid, s] of stats) {
    if (s.name !== "workerd" || !ours(pid)) continue;
    found = true;
    user += s.userTicks;
    system += s.systemTicks;
  }
  const ms = (ticks: number): number => (ticks * 1000) / TICKS_PER_SECOND;
  return found ? { totalMs: ms(user + system), systemMs: ms(system) } : null;
}
