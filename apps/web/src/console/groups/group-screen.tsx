/**
 * @module
 * One consumer group: members and assignments, per-partition lag, lag chart, reset offsets.
 * (Placeholder of the console skeleton; the screen is being built.)
 */
export function GroupScreen({ group }: { group: string }) {
  return (
    <section class="screen">
      <h1>GroupScreen</h1>
      <p class="muted">Coming in this change. {group}</p>
    </section>
  );
}
