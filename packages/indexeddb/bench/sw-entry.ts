/**
 * The service-worker half of the Workbox baseline: `workbox-background-sync`'s `Queue` runs where Workbox runs it,
 * in a service worker. On a message `{ n, url }` it pushes n requests (one per event, ~100 B JSON body each, no
 * await in between) with `Queue.pushRequest` and answers on the given port with the time taken and the queue size.
 */
import { Queue } from "workbox-background-sync";

const VALUE_BYTES = 100;
const valueFor = (i: number): string => `event-${i}-`.padEnd(VALUE_BYTES, "x");

interface WorkboxRun {
  ms: number;
  queued: number;
}

async function run(n: number, url: string): Promise<WorkboxRun> {
  const queue = new Queue(`bench-workbox-${crypto.randomUUID()}`);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      queue.pushRequest({
        request: new Request(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ records: [{ key: `user-${i % 100}`, value: valueFor(i) }] }),
        }),
      }),
    ),
  );
  const ms = performance.now() - started;
  const queued = (await queue.getAll()).length;
  // Empty the queue again (not timed), so the next repetition starts from the same database size.
  while ((await queue.shiftRequest()) !== undefined) {}
  return { ms, queued };
}

const scope = globalThis as unknown as {
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  addEventListener(
    type: "activate",
    listener: (event: Event & { waitUntil(p: Promise<unknown>): void }) => void,
  ): void;
  clients: { claim(): Promise<void> };
};
scope.addEventListener("activate", (event) => event.waitUntil(scope.clients.claim()));
scope.addEventListener("message", (event) => {
  const { n, url } = event.data as { n: number; url: string };
  const port = event.ports[0];
  run(n, url).then(
    (result) => port?.postMessage({ ok: true, result }),
    (error: unknown) => port?.postMessage({ ok: false, error: String(error) }),
  );
});
