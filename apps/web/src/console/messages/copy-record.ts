/**
 * @module
 * "Copy as JSON": a record as the HTTP API renders it, plus where it lives (topic, partition) and its time as ISO,
 * so what is pasted into an issue or a test says everything about the record. Header names stay own members
 * whatever they are (`__proto__` included), as `JSON.parse` built them.
 */
import { type ConsoleRecord, jsonText } from "./console-record.ts";

export function recordAsJson(topic: string, record: ConsoleRecord): string {
  return jsonText(
    {
      topic,
      partition: record.partition,
      offset: record.offset,
      timestamp: record.timestamp,
      time: new Date(record.timestamp).toISOString(),
      key: record.key,
      ...(record.keyFormat === undefined ? {} : { keyFormat: record.keyFormat }),
      headers: record.headers,
      value: record.value,
      ...(record.valueFormat === undefined ? {} : { valueFormat: record.valueFormat }),
    },
    2,
  );
}

/** Puts `text` on the clipboard; `false` when the browser refused (no permission, not a secure context). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
