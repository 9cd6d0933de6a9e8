/**
 * @module
 * One topic: its partitions (offsets, records, leader and replicas), configs, add partitions, delete records.
 * (Placeholder of the console skeleton; the screen is being built.)
 */
import { href } from "../router.ts";

export function TopicScreen({ topic }: { topic: string }) {
  return (
    <section class="screen">
      <h1>TopicScreen</h1>
      <p class="muted">Coming in this change. {topic}</p>
      <p>
        <a href={href(["topics", topic, "messages"])}>Messages</a>
      </p>
    </section>
  );
}
