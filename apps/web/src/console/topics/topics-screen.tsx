/**
 * @module
 * The topics list: name, partitions, records, bytes, retention, leaders; create, delete.
 * (Placeholder of the console skeleton; the screen is being built.)
 */
export function TopicsScreen() {
  return (
    <section class="screen">
      <h1>TopicsScreen</h1>
      <p class="muted">Coming in this change.</p>
    </section>
  );
}
