/**
 * @module
 * Random identifiers (topic ids, producer ids, member ids) from Web Crypto, which every runtime edgelog targets
 * provides. `randomUUID` needs a secure context in browsers; `getRandomValues` does not, so it is the fallback.
 */

export function randomId(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  // RFC 9562 version 4 layout, so the fallback is indistinguishable from randomUUID's output.
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
