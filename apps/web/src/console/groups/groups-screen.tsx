/**
 * @module
 * Consumer groups: state, members, epoch, total lag.
 * (Placeholder of the console skeleton; the screen is being built.)
 */
export function GroupsScreen() {
  return (
    <section class="screen">
      <h1>GroupsScreen</h1>
      <p class="muted">Coming in this change.</p>
    </section>
  );
}
