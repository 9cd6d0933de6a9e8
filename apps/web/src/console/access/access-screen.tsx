/**
 * @module
 * Access: whether the server needs a token, the pasted token, what it allows, sign out.
 * (Placeholder of the console skeleton; the screen is being built.)
 */
export function AccessScreen() {
  return (
    <section class="screen">
      <h1>AccessScreen</h1>
      <p class="muted">Coming in this change.</p>
    </section>
  );
}
