/**
 * @module
 * Topic descriptions for the rows in view, a few at a time. The list of names is one request, but records, bytes
 * and leaders need `GET /v1/topics/{t}` per topic (one storage call per partition behind it): asking for all of
 * 10,000 topics at once would flood the server and the quota. So rows ask when they are drawn, at most
 * `concurrency` requests run, and a row scrolled away before its turn is dropped from the queue.
 */
import { signal } from "@preact/signals";
import { describeTopic, type TopicView } from "./topics-api.ts";

export type Described =
  | { readonly status: "loading" }
  | { readonly status: "done"; readonly view: TopicView }
  | { readonly status: "error"; readonly error: unknown };

export class DescribeQueue {
  readonly #concurrency: number;
  readonly #describe: (name: string) => Promise<TopicView>;
  /** Bounded by the deployment's topics (10,000 at most). */
  readonly #cache = new Map<string, Described>();
  #queue: string[] = [];
  #running = 0;
  /** Bumped by `clear()`: answers to requests made before it are stale. */
  #generation = 0;
  /** Bumped whenever an entry changes, so rows re-render. */
  readonly version = signal(0);

  constructor(concurrency = 4, describe: (name: string) => Promise<TopicView> = describeTopic) {
    this.#concurrency = concurrency;
    this.#describe = describe;
  }

  get(name: string): Described | undefined {
    return this.#cache.get(name);
  }

  /** The rows in view now: anything not described is queued; queued rows no longer in view are dropped. */
  want(names: readonly string[]): void {
    const wanted = new Set(names);
    for (const dropped of this.#queue) if (!wanted.has(dropped)) this.#cache.delete(dropped);
    this.#queue = this.#queue.filter((name) => wanted.has(name));
    for (const name of names) {
      if (this.#cache.has(name)) continue;
      this.#cache.set(name, { status: "loading" });
      this.#queue.push(name);
    }
    this.#pump();
  }

  /** Forgets everything (after a refresh, a create or a delete); rows in view ask again. */
  clear(): void {
    this.#cache.clear();
    this.#queue = [];
    this.#generation++;
    this.version.value++;
  }

  #pump(): void {
    while (this.#running < this.#concurrency && this.#queue.length > 0) {
      const name = this.#queue.shift() as string;
      this.#running++;
      const generation = this.#generation;
      this.#describe(name).then(
        (view) => this.#settle(name, generation, { status: "done", view }),
        (error: unknown) => this.#settle(name, generation, { status: "error", error }),
      );
    }
  }

  #settle(name: string, generation: number, entry: Described): void {
    this.#running--;
    // After a clear() the answer may be stale: the row has asked again (or will), so it is dropped.
    if (generation === this.#generation) this.#cache.set(name, entry);
    this.version.value++;
    this.#pump();
  }
}
