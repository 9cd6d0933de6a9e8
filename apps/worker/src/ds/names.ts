/**
 * @module
 * Stream path ⇄ topic name. A Durable Streams path may hold `/` and any character; a topic name only
 * `[a-zA-Z0-9._-]`, 1–249 of them. A path that already is a plain topic name (and does not start with `_`) maps
 * to itself, so `/ds/orders` is the topic `orders` of `/v1`. Any other path maps to `_` followed by its UTF-8
 * bytes with every byte outside `[A-Za-z0-9.-]` written `_XX` (upper-case hex). The two sets cannot meet (only
 * the second starts with `_`) and each mapping is injective, so two paths never share a topic, and every topic
 * made here maps back to its path. Topics of `/v1` that start with `_` but are not such an escape have no path.
 */

/** Where the protocol is mounted. */
export const DS_PREFIX = "/ds/";
/** Topic names are 1–249 characters (docs/http-api.md "Topics"). */
export const MAX_TOPIC_NAME_LENGTH = 249;
const PLAIN_PATH = /^[A-Za-z0-9.-][A-Za-z0-9._-]*$/;
const KEPT_BYTE = /[A-Za-z0-9.-]/;
const ESCAPE = "_";

const utf8Encoder = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * The topic holding the stream at `path` (the URL path after `/ds/`, as sent), or `null` when the path is empty
 * or its topic name would exceed 249 characters.
 * @example
 * topicForStream("orders") // → "orders"
 * topicForStream("v1/stream/a b") // → "_v1_2Fstream_2Fa_20b"
 */
export function topicForStream(path: string): string | null {
  if (path.length === 0) return null;
  let topic: string;
  if (PLAIN_PATH.test(path) && path !== "." && path !== "..") {
    topic = path;
  } else {
    topic = ESCAPE;
    for (const byte of utf8Encoder.encode(path)) {
      const char = String.fromCharCode(byte);
      topic +=
        byte < 0x80 && KEPT_BYTE.test(char)
          ? char
          : `${ESCAPE}${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    }
  }
  return topic.length <= MAX_TOPIC_NAME_LENGTH ? topic : null;
}

/** The stream path of a topic, or `null` for a `_`-topic that no path maps to. */
export function streamForTopic(topic: string): string | null {
  if (!topic.startsWith(ESCAPE)) return topic;
  const bytes: number[] = [];
  for (let i = 1; i < topic.length; i++) {
    const char = topic[i] as string;
    if (char !== ESCAPE) {
      bytes.push(char.charCodeAt(0));
      continue;
    }
    const hex = topic.slice(i + 1, i + 3);
    if (!/^[0-9A-F]{2}$/.test(hex)) return null;
    bytes.push(Number.parseInt(hex, 16));
    i += 2;
  }
  try {
    const path = strictUtf8.decode(new Uint8Array(bytes));
    return topicForStream(path) === topic ? path : null;
  } catch {
    return null;
  }
}

/** The topic of the stream a `Stream-Forked-From` value names: a path on this server (with or without `/ds`). */
export function topicForForkSource(forkedFrom: string): string | null {
  let path = forkedFrom;
  if (/^https?:\/\//i.test(path)) {
    try {
      path = new URL(path).pathname;
    } catch {
      return null;
    }
  }
  if (path.startsWith(DS_PREFIX)) path = path.slice(DS_PREFIX.length);
  else if (path.startsWith("/")) path = path.slice(1);
  return topicForStream(path);
}
