/**
 * @module
 * Durable Streams (/ds): their topics, content type, TTL, closed state.
 * (Placeholder of the console skeleton; the screen is being built.)
 */
export function StreamsScreen() {
  return (
    <section class="screen">
      <h1>StreamsScreen</h1>
      <p class="muted">Coming in this change.</p>
    </section>
  );
}
