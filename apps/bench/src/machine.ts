/**
 * Describes the machine a run measured on: CPU model and cores, memory, OS, Node, wrangler and workerd, the
 * Chromium that ran the browser figures, and the installed versions of the peers compared against.
 */
import { readFileSync } from "node:fs";
import { cpus, type as osType, release, totalmem } from "node:os";
import { join } from "node:path";
import type { Machine } from "./report.ts";

function packageVersion(root: string, name: string): string {
  try {
    return (
      JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")) as {
        version: string;
      }
    ).version;
  } catch {
    return "not installed";
  }
}

function osName(): string {
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1];
    if (pretty !== undefined) return `${pretty} (${osType()} ${release()})`;
  } catch {
    // not Linux, or no os-release
  }
  return `${osType()} ${release()}`;
}

export function describeThisMachine(root: string, chromium: string | null): Machine {
  const cpuList = cpus();
  return {
    cpu: cpuList[0]?.model.trim() ?? "unknown CPU",
    cores: cpuList.length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: osName(),
    node: process.version,
    wrangler: packageVersion(root, "wrangler"),
    workerd: packageVersion(root, "workerd"),
    chromium,
    peers: {
      "@durable-streams/server": packageVersion(root, "@durable-streams/server"),
      "workbox-background-sync": packageVersion(root, "workbox-background-sync"),
    },
  };
}
