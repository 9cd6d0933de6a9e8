/**
 * @module
 * Runs the fan-out benchmark's Worker (fanout-worker/) in this process with wrangler's `unstable_startWorker`: the
 * same bundling (from source, test/support/source-condition.ts) and the same workerd as `wrangler dev`, open and
 * unthrottled like the other bench Workers. Readers are pointed at the Worker's own workerd socket, not at the
 * dev proxy wrangler puts in front of it: that proxy is itself a Durable Object in a second workerd through which
 * every request and every streamed chunk would pass — a serialising hop no deployment has, and a second socket per
 * reader (twice the file descriptors of the readers themselves).
 */
import { resolve } from "node:path";
import { unstable_DevEnv } from "wrangler";
import { WRANGLER_SOURCE_ENV } from "../../../test/support/source-condition.ts";

const CONFIG = resolve(import.meta.dirname, "fanout-worker/wrangler.toml");
const STARTUP_TIMEOUT_MS = 90_000;

const VARS: Readonly<Record<string, string>> = {
  EDGELOG_AUTH: "none",
  EDGELOG_QUOTA_REQUESTS_PER_SEC: "unlimited",
  EDGELOG_QUOTA_PRODUCE_BYTES_PER_SEC: "unlimited",
};

export interface FanoutWorker {
  /** The Worker's workerd socket (`http://127.0.0.1:port`), bypassing wrangler's dev proxy. */
  readonly url: string;
  stop(): Promise<void>;
}

interface ReloadComplete {
  readonly proxyData?: { readonly userWorkerUrl?: { protocol: string; hostname: string; port: string } };
}

/**
 * Starts the Worker; `port` is the dev proxy's (0 or absent: any free one). The Worker's own socket is on a port
 * the system picks.
 */
export async function startFanoutWorker(options: { port?: number } = {}): Promise<FanoutWorker> {
  // wrangler's bundler reads its conditions from the environment when it builds.
  for (const [name, value] of Object.entries(WRANGLER_SOURCE_ENV)) process.env[name] ??= value;
  process.env.WRANGLER_SEND_METRICS ??= "false";
  const devEnv = new unstable_DevEnv();
  // The runtime says where the Worker listens once it has loaded the bundle (as it tells the dev proxy); listened
  // for before starting, so the event cannot be missed.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const reloaded = new Promise<ReloadComplete>((resolveReload, reject) => {
    devEnv.once("reloadComplete", resolveReload);
    timer = setTimeout(
      () => reject(new Error("the fan-out Worker did not start in time")),
      STARTUP_TIMEOUT_MS,
    );
  });
  reloaded.catch(() => {});
  let stop = () => devEnv.teardown();
  try {
    const worker = await devEnv.startWorker({
      config: CONFIG,
      bindings: Object.fromEntries(
        Object.entries(VARS).map(([name, value]) => [name, { type: "plain_text" as const, value }]),
      ),
      dev: {
        server: { hostname: "127.0.0.1", port: options.port ?? 0 },
        inspector: false,
        logLevel: "none",
        watch: false,
        persist: false,
      },
    });
    stop = () => worker.dispose();
    await worker.ready;
    const where = (await reloaded).proxyData?.userWorkerUrl;
    if (where === undefined) throw new Error("wrangler did not say where the fan-out Worker listens");
    const url = `${where.protocol}//${where.hostname}:${where.port}`;
    const health = await fetch(`${url}/v1/health`);
    await health.body?.cancel();
    if (!health.ok) throw new Error(`the fan-out Worker answers ${health.status} to /v1/health`);
    return { url, stop };
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
