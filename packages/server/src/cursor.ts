/**
 * @module
 * Tail cursors (the Durable Streams `cursor`, docs/semantics.md §C9; for `/v1` long-polls docs/http-api.md "Tail
 * cursors"). A live long-poll's answer carries a cursor — the number of 20-second intervals since 2024-10-09T00:00Z
 * — and the reader's next long-poll echoes it. Readers waiting at one offset in one interval therefore send the
 * same request, which is what lets identical waits collapse (a cache or proxy that merges identical requests; the
 * Worker merges waits on a partition and offset anyway). A reader that echoes a cursor of the current interval (or
 * a later one) gets one 1 s–1 h further on, so its next request never repeats one whose answer a cache may hold.
 */
const CURSOR_EPOCH_MS = Date.UTC(2024, 9, 9);
const CURSOR_INTERVAL_MS = 20_000;
const MAX_JITTER_SECONDS = 3600;

/** The cursor to answer a long-poll with, given the one the reader echoed (if any). */
export function responseCursor(
  clientCursor: string | undefined,
  nowMs: number,
  random: () => number,
): string {
  const current = Math.floor((nowMs - CURSOR_EPOCH_MS) / CURSOR_INTERVAL_MS);
  const client = clientCursor === undefined ? Number.NaN : Number.parseInt(clientCursor, 10);
  if (!Number.isFinite(client) || client < current) return String(current);
  // A client at (or ahead of) the current interval would collapse onto a cached answer: move it 1 s–1 h ahead.
  const jitterSeconds = 1 + Math.floor(random() * MAX_JITTER_SECONDS);
  return String(client + Math.max(1, Math.ceil((jitterSeconds * 1000) / CURSOR_INTERVAL_MS)));
}
