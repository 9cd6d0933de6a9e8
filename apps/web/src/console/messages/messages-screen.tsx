/**
 * @module
 * Browse a topic's records (by offset, time, key, value filter), live tail, produce, copy as JSON.
 * (Placeholder of the console skeleton; the screen is being built.)
 */
export function MessagesScreen({ topic }: { topic: string; query: URLSearchParams }) {
  return (
    <section class="screen">
      <h1>MessagesScreen</h1>
      <p class="muted">Coming in this change. {topic}</p>
    </section>
  );
}
