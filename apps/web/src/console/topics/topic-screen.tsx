/**
 * @module
 * One topic: its partitions (offsets, records, leader and replicas), configs, add partitions, delete records.
 * (Placeholder of the console skeleton; the screen is being built.)
 */
export function TopicScreen({ topic }: { topic: string }) {
  return (
    <section class="screen">
      <h1>TopicScreen</h1>
      <p class="muted">Coming in this change. {topic}</p>
    </section>
  );
}
