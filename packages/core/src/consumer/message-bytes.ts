/**
 * @module
 * The bytes consumer handlers receive. KafkaJS hands out Node `Buffer`s, and the most common line of KafkaJS code
 * is `message.value.toString()`, which on a plain `Uint8Array` prints `72,101,108,…`. `MessageBytes` is a
 * `Uint8Array` (a zero-copy view of the fetched batch, usable wherever bytes are) whose `toString()` decodes
 * UTF-8 as `Buffer#toString()` does, with `base64` and `hex` too — isomorphically, with no Buffer polyfill.
 */

/** The encodings `toString` takes, after Node's `Buffer` (the ones KafkaJS code uses). */
export type BytesEncoding = "utf8" | "utf-8" | "base64" | "hex";

// Not fatal: like Buffer, invalid UTF-8 becomes U+FFFD instead of throwing in the middle of a handler.
const utf8 = new TextDecoder("utf-8");
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/**
 * A consumed key, value or header value.
 * @example
 * await consumer.run({ eachMessage: async ({ message }) => console.log(message.value?.toString()) });
 */
export class MessageBytes extends Uint8Array {
  /** A view of `bytes` (no copy). */
  static view(bytes: Uint8Array): MessageBytes {
    return new MessageBytes(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The bytes as text: UTF-8 by default (as `Buffer#toString()`), or `base64` / `hex`. */
  override toString(encoding: BytesEncoding = "utf8"): string {
    switch (encoding) {
      case "utf8":
      case "utf-8":
        return utf8.decode(this);
      case "hex": {
        let out = "";
        for (const byte of this) out += HEX[byte];
        return out;
      }
      case "base64": {
        let binary = "";
        const CHUNK = 0x8000;
        for (let i = 0; i < this.length; i += CHUNK) {
          binary += String.fromCharCode(...this.subarray(i, i + CHUNK));
        }
        return btoa(binary);
      }
      default:
        throw new TypeError(`unknown encoding: ${String(encoding)}`);
    }
  }

  /** `subarray`, `slice` and friends make plain `Uint8Array`s: only what a handler is given decodes itself. */
  static get [Symbol.species]() {
    return Uint8Array;
  }
}
