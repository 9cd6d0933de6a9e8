/**
 * @module
 * The offline recorder demo (offline.html, served at `/offline`, linked from the console): records events with `openOfflineLog` (IndexedDB first, upstream later), shows pending / sent /
 * errors live, and lets a person cut the network to watch events queue up and drain exactly once on return.
 * "Go offline" makes this page's upstream requests fail the way a dropped connection does; the browser's own
 * offline mode (DevTools) works too. Where the server requires a token, the Access card (token-card.ts) takes one —
 * the same tab-scoped token the console keeps — sent on the page's own requests and given to its offline log
 * through a token function.
 */
import { EdgeLogError } from "@edgelog/core";
import { type OfflineValue, openOfflineLog, registerOfflineLogSync } from "@edgelog/indexeddb";
import { readThemeChoice, showThemeChoice } from "./console/theme-choice.ts";
import { fetchAuthMode, readToken, refusalMessage, withToken } from "./console-token.ts";
import { LOG_NAME, SERVICE_WORKER_URL } from "./log-config.ts";
import { mountTokenCard } from "./token-card.ts";

// The console's light or dark (the OS setting, or the choice made with the console's toggle).
showThemeChoice(readThemeChoice());

const UPSTREAM_POLL_MS = 1_000;
const BURST = 1_000;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`missing #${id}`);
  return found as T;
}

let simulatedOffline = false;
const networkFetch: typeof fetch = (input, init) =>
  simulatedOffline
    ? Promise.reject(new TypeError("Failed to fetch (simulated offline)"))
    : fetch(input, init);

const authMode = await fetchAuthMode(fetch);
/**
 * Whether the log gets the pasted token. Not when the server is open or its host signs requests in (it must send
 * none); when the server could not be asked, only if a token was pasted before in this tab (a later one reloads
 * the page to reach the log).
 */
const logUsesToken =
  authMode !== "none" && authMode !== "host" && !(authMode === "unknown" && readToken() === null);
/** The token the log was last given: its auth failures concern the kept token only while this is that token. */
let tokenGiven: string | null = null;

const log = await openOfflineLog({
  name: LOG_NAME,
  upstream: {
    url: location.origin,
    fetch: networkFetch,
    ...(logUsesToken
      ? {
          // Read at each call: the log calls it again after `tokenChanged()`, a 401 or near the token's exp.
          token: () => {
            const token = readToken();
            tokenGiven = token;
            if (token === null)
              throw new EdgeLogError("AUTHENTICATION_FAILED", "no token: paste one in the Access card");
            return token;
          },
        }
      : {}),
  },
});

/** The console's own API requests: with the pasted token, and a 401 brings the token form back. */
async function apiFetch(path: string, init?: RequestInit): Promise<Response> {
  const token = readToken();
  const response = await networkFetch(path, withToken(init, token));
  // Without a token the form is up already; with one, a 401 says it no longer works (expired, key rotated).
  if (response.status === 401 && token !== null && token === readToken())
    tokenCard.refused(await refusalMessage(response));
  return response;
}

const tokenCard = mountTokenCard({
  mode: authMode,
  // The console needs its topic upstream anyway: creating it is the check (a 403 is a valid token without
  // `admin`; offline, the token is kept unchecked).
  check: (token) => ensureTopic(readForm().topic, token),
  changed: () => {
    if (!logUsesToken) {
      location.reload();
      return;
    }
    // Sync now with the new token (or learn at once that there is none), not after an auth failure's backoff.
    log.tokenChanged();
    void showUpstream();
  },
});

/**
 * The service worker (src/sw.ts) drains the log on a Background Sync `sync` event, even with every tab closed.
 * `null` where there is none: no service workers (old browsers, http: origins other than localhost), or
 * registration failed. The page works the same without it.
 */
const serviceWorker: Promise<ServiceWorkerRegistration | null> =
  "serviceWorker" in navigator
    ? navigator.serviceWorker.register(SERVICE_WORKER_URL).then(
        () => navigator.serviceWorker.ready,
        () => null,
      )
    : Promise.resolve(null);
const backgroundSync = element("background-sync");
void serviceWorker.then((registration) => {
  const supported = registration !== null && "sync" in registration;
  backgroundSync.textContent = supported ? "available" : "unavailable";
});

/**
 * While records wait for a network that is really gone (not the simulated outage of "Go offline", which the
 * service worker does not share), ask for a `sync` event: the browser fires it when connectivity returns, tab
 * open or not. Without Background Sync this does nothing and the records go out on the next visit instead.
 */
async function requestBackgroundSync(): Promise<void> {
  if (log.pending() === 0 || simulatedOffline) return;
  const registration = await serviceWorker;
  if (registration !== null && (await registerOfflineLogSync(registration)))
    backgroundSync.textContent = "registered";
}

const pending = element("pending");
const sent = element("sent");
const network = element("network");
const lastError = element<HTMLParagraphElement>("last-error");
let sentTotal = 0;

function render(): void {
  pending.textContent = String(log.pending());
  sent.textContent = String(sentTotal);
  network.textContent = simulatedOffline || !navigator.onLine ? "offline" : "online";
}

log.onSync((event) => {
  sentTotal = event.sent;
  if (event.lastError) {
    lastError.hidden = false;
    lastError.textContent = `${event.lastError.code}: ${event.lastError.message}`;
    // Not a failure of a pass that began before the kept token was pasted (or of having none).
    if (event.lastError.code === "AUTHENTICATION_FAILED" && tokenGiven !== null && tokenGiven === readToken())
      tokenCard.refused(event.lastError.message);
  } else {
    lastError.hidden = true;
  }
  // The upstream is unreachable: let the browser retry later, even if this tab is gone by then.
  if (event.lastError?.retriable) void requestBackgroundSync();
  render();
});

/** Appends can fail too (a full disk: STORAGE_QUOTA_EXCEEDED); say so instead of losing the click silently. */
function showAppendError(error: unknown): void {
  lastError.hidden = false;
  const code = (error as { code?: string }).code ?? "ERROR";
  lastError.textContent = `append failed: ${code}: ${error instanceof Error ? error.message : String(error)}`;
}

const form = element<HTMLFormElement>("append-form");
function readForm(): { topic: string; key: string; value: OfflineValue } {
  const data = new FormData(form);
  const raw = String(data.get("value") ?? "null");
  let value: OfflineValue;
  try {
    value = JSON.parse(raw) as OfflineValue;
  } catch {
    value = raw;
  }
  return { topic: String(data.get("topic")), key: String(data.get("key") ?? ""), value };
}

/**
 * edgelog creates topics explicitly (no auto-creation), and a record for a topic the server does not have is
 * refused and set aside. The console creates the topic it writes to when it can reach the server.
 */
const ensured = new Set<string>();
/** Returns the server's message when it refuses `token` (401), else `null`. */
async function ensureTopic(topic: string, token = readToken()): Promise<string | null> {
  if (ensured.has(topic) && token === readToken()) return null;
  try {
    const response = await networkFetch(
      "/v1/topics",
      withToken(
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ name: topic, partitions: 3 }),
        },
        token,
      ),
    );
    if (response.status === 201 || response.status === 409) ensured.add(topic);
    if (response.status === 401) return await refusalMessage(response);
  } catch {
    // Offline: the records wait in IndexedDB; the topic is created on the next append made online.
  }
  return null;
}

/** `ensureTopic` with the kept token; its refusal brings the token form back. */
async function ensureTopicOrAsk(topic: string): Promise<void> {
  const token = readToken();
  const refusal = await ensureTopic(topic, token);
  if (refusal !== null && token !== null && token === readToken()) tokenCard.refused(refusal);
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const { topic, key, value } = readForm();
  await ensureTopicOrAsk(topic);
  await log.append(topic, { key: key === "" ? null : key, value }).catch(showAppendError);
  if (!navigator.onLine) void requestBackgroundSync();
  render();
});

element("append-burst").addEventListener("click", async () => {
  const { topic, key } = readForm();
  await ensureTopicOrAsk(topic);
  // No await between appends: the log coalesces them into a few IndexedDB transactions.
  await Promise.all(
    Array.from({ length: BURST }, (_, i) =>
      log.append(topic, { key: key === "" ? null : key, value: { i } }),
    ),
  ).catch(showAppendError);
  if (!navigator.onLine) void requestBackgroundSync();
  render();
});

const toggle = element<HTMLButtonElement>("toggle-network");
toggle.addEventListener("click", async () => {
  simulatedOffline = !simulatedOffline;
  toggle.textContent = simulatedOffline ? "Go online" : "Go offline";
  // Create the topic before the log hears it is online, so its first sync has somewhere to write.
  if (!simulatedOffline) await ensureTopicOrAsk(readForm().topic);
  // The log listens to the browser's online/offline events; tell it the simulated network changed too.
  window.dispatchEvent(new Event(simulatedOffline ? "offline" : "online"));
  render();
});

element("flush").addEventListener("click", async () => {
  try {
    await log.flush();
  } catch {
    // flush() rejects while offline; the reason is already shown from onSync.
  }
  render();
});

async function showUpstream(): Promise<void> {
  const topic = readForm().topic;
  try {
    const response = await apiFetch(`/v1/topics/${encodeURIComponent(topic)}`);
    if (!response.ok) {
      element("upstream-summary").textContent =
        response.status === 404 ? `no topic "${topic}" upstream yet` : "—";
      return;
    }
    const description = (await response.json()) as {
      partitions: { partition: number; highWatermark: number }[];
    };
    const total = description.partitions.reduce((sum, p) => sum + p.highWatermark, 0);
    element("upstream-summary").textContent =
      `${total} records in "${topic}" across ${description.partitions.length} partition(s)`;
    // Show the tail of the busiest partition (a single key lives on one partition, not necessarily 0).
    const latest = description.partitions.reduce<(typeof description.partitions)[number] | undefined>(
      (best, p) => (best === undefined || p.highWatermark > best.highWatermark ? p : best),
      undefined,
    );
    if (latest !== undefined && latest.highWatermark > 0) {
      const from = Math.max(0, latest.highWatermark - 10);
      const records = (await (
        await apiFetch(
          `/v1/topics/${encodeURIComponent(topic)}/partitions/${latest.partition}/records?offset=${from}&limit=10`,
        )
      ).json()) as { records: { offset: number; key: string | null; value: unknown }[] };
      const list = element("upstream-records");
      list.replaceChildren(
        ...records.records.reverse().map((r) => {
          const item = document.createElement("li");
          item.value = r.offset;
          item.textContent = `${r.key ?? "∅"} → ${JSON.stringify(r.value)}`;
          return item;
        }),
      );
    }
  } catch {
    element("upstream-summary").textContent = "upstream unreachable";
  }
}

window.addEventListener("online", () => {
  void ensureTopicOrAsk(readForm().topic);
  render();
});
window.addEventListener("offline", () => {
  void requestBackgroundSync();
  render();
});
// Leaving with records still pending: the service worker can send them once the browser sees a network.
window.addEventListener("pagehide", () => void requestBackgroundSync());
render();
// For people and tests alike: the figures above are live from here on.
document.body.dataset.ready = "true";
void ensureTopicOrAsk(readForm().topic);
void showUpstream();
setInterval(() => void showUpstream(), UPSTREAM_POLL_MS);

/**
 * Says loudly when the Worker runs without authentication (`npm start`), or is locked because none is configured,
 * from `GET /v1/health`'s `auth` (always open). Nothing is shown when tokens are enforced.
 */
function showAuthBanner(): void {
  const banner = element("auth-banner");
  if (authMode === "none") {
    banner.className = "banner warning";
    banner.textContent =
      "No authentication (EDGELOG_AUTH=none): anyone who can reach this Worker can read, write and delete " +
      "every topic. For local use only.";
  } else if (authMode === "unconfigured") {
    banner.className = "banner error";
    banner.textContent =
      "Authentication is not configured: the API refuses every request. Set EDGELOG_JWT_SECRET " +
      "(wrangler secret put EDGELOG_JWT_SECRET) or EDGELOG_JWKS_URL.";
  } else return;
  banner.hidden = false;
}
showAuthBanner();
