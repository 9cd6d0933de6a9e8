/**
 * What handlers receive decodes itself as KafkaJS's `Buffer`s do: the KafkaJS getting-started consumer, with
 * only `new Kafka(...)` replaced, prints text rather than `72,101,108,…`.
 */
import { describe, expect, it } from "vitest";
import { EdgeLog, type KafkaMessage, MessageBytes } from "../src/index.ts";

const utf8 = new TextEncoder();

describe("MessageBytes", () => {
  it("decodes UTF-8 on toString(), as Buffer#toString() does", () => {
    const bytes = MessageBytes.view(utf8.encode("Hello KafkaJS user! ✓"));
    expect(bytes.toString()).toBe("Hello KafkaJS user! ✓");
    expect(`${bytes}`).toBe("Hello KafkaJS user! ✓");
    expect(bytes.toString("utf-8")).toBe("Hello KafkaJS user! ✓");
    expect(String(MessageBytes.view(new Uint8Array()))).toBe("");
  });

  it("replaces invalid UTF-8 with U+FFFD instead of throwing", () => {
    expect(MessageBytes.view(new Uint8Array([0x68, 0xff, 0x69])).toString()).toBe("h\uFFFDi");
  });

  it("encodes hex and base64 like Buffer", () => {
    const bytes = MessageBytes.view(new Uint8Array([0, 1, 0xab, 0xff, 0x7f]));
    expect(bytes.toString("hex")).toBe("0001abff7f");
    expect(bytes.toString("base64")).toBe("AAGr/38=");
    const big = MessageBytes.view(new Uint8Array(100_000).fill(0xfb));
    expect(atob(big.toString("base64"))).toHaveLength(100_000);
    // biome-ignore lint/suspicious/noExplicitAny: an encoding Buffer has but this does not
    expect(() => bytes.toString("latin1" as any)).toThrow(TypeError);
  });

  it("is a zero-copy Uint8Array view; slices are plain Uint8Arrays", () => {
    const batch = utf8.encode("..value..");
    const view = MessageBytes.view(batch.subarray(2, 7));
    expect(view).toBeInstanceOf(Uint8Array);
    expect(view.buffer).toBe(batch.buffer);
    expect(view.byteOffset).toBe(2);
    expect(new Uint8Array(view)).toEqual(utf8.encode("value"));
    expect(view.subarray(1).constructor).toBe(Uint8Array);
    expect(view.slice(1).constructor).toBe(Uint8Array);
  });
});

describe("the KafkaJS getting-started consumer", () => {
  it("prints keys, values and header values as text", async () => {
    const kafka = new EdgeLog(); // instead of new Kafka({ clientId, brokers })
    await kafka.admin().createTopics({ topics: [{ topic: "test-topic" }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: "test-topic",
      messages: [{ key: "k1", value: "Hello KafkaJS user!", headers: { "correlation-id": "2bfb68bb" } }],
    });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: "test-group", maxWaitTimeInMs: 50 });
    await consumer.connect();
    await consumer.subscribe({ topic: "test-topic", fromBeginning: true });
    const printed: string[] = [];
    const seen: KafkaMessage[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message);
        printed.push(`${message.key?.toString()} ${message.value?.toString()}`);
      },
    });
    await expect.poll(() => printed.length).toBe(1);
    await consumer.disconnect();
    await kafka.close();

    expect(printed).toEqual(["k1 Hello KafkaJS user!"]);
    expect(seen[0]?.headers[0]?.key).toBe("correlation-id");
    expect(seen[0]?.headers[0]?.value?.toString()).toBe("2bfb68bb");
  });
});
