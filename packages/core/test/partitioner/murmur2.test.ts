import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EdgeLogError } from "../../src/errors.ts";
import { murmur2, partitionForKey, toPositive } from "../../src/partitioner/index.ts";

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/**
 * Kafka's own vectors: `UtilsTest.testMurmur2` in apache/kafka
 * (clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java @ f55581dc73953c3509a4702433aeeeddc2970779),
 * the complete list. Java's `"…".getBytes()` equals UTF-8 for these ASCII strings.
 */
const KAFKA_UTILS_TEST_VECTORS: ReadonlyArray<readonly [string, number]> = [
  ["21", -973932308],
  ["foobar", -790332482],
  ["a-little-bit-long-string", -985981536],
  ["a-little-bit-longer-string", -1486304829],
  ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
  ["abc", 479470107],
];

/**
 * Values printed by a Java program running Kafka's `murmur2` (tulios/kafkajs
 * src/producer/partitioners/defaultJava/murmur2.spec.js, "Generated with …/defaultJava/Test.java"). They add the
 * one-byte tail ("0", "1") that Kafka's own list lacks.
 */
const KAFKAJS_JAVA_VECTORS: ReadonlyArray<readonly [string, number]> = [
  ["0", 971027396],
  ["1", -1993445489],
  ["128", -326012175],
  ["2187", -1508407203],
  ["16384", -325739742],
  ["78125", -1654490814],
  ["279936", 1462227128],
  ["823543", -2014198330],
  ["2097152", 607668903],
  ["4782969", -1182699775],
  ["10000000", -1830336757],
  ["19487171", -1603849305],
  ["35831808", -857013643],
  ["62748517", -1167431028],
  ["105413504", -381294639],
  ["170859375", -1658323481],
  ["100:48069", 1009543857],
];

/**
 * An independent, deliberately literal port of Java's `Utils.murmur2`: signed Java bytes masked with `& 0xff`,
 * `+` to assemble blocks, and BigInt arithmetic wrapped to `int` after every step (no `Math.imul`, no DataView),
 * so it shares no shortcut with the implementation under test.
 */
function javaMurmur2(data: Uint8Array): number {
  const bytes = new Int8Array(data.buffer, data.byteOffset, data.byteLength); // Java's byte[] is signed
  const int = (x: bigint): bigint => BigInt.asIntN(32, x);
  const ushr = (x: bigint, n: bigint): bigint => BigInt.asUintN(32, x) >> n;
  const at = (i: number): bigint => BigInt(bytes[i] ?? 0) & 0xffn;
  const length = bytes.length;
  const m = int(0x5bd1e995n);
  let h = int(int(0x9747b28cn) ^ BigInt(length));
  for (let i = 0; i < Math.trunc(length / 4); i++) {
    const i4 = i * 4;
    let k = int(at(i4) + (at(i4 + 1) << 8n) + (at(i4 + 2) << 16n) + (at(i4 + 3) << 24n));
    k = int(k * m);
    k = int(k ^ ushr(k, 24n));
    k = int(k * m);
    h = int(h * m);
    h = int(h ^ k);
  }
  const rest = length % 4;
  const base = length & ~3;
  if (rest === 3) h = int(h ^ (at(base + 2) << 16n));
  if (rest >= 2) h = int(h ^ (at(base + 1) << 8n));
  if (rest >= 1) {
    h = int(h ^ at(base));
    h = int(h * m);
  }
  h = int(h ^ ushr(h, 13n));
  h = int(h * m);
  h = int(h ^ ushr(h, 15n));
  return Number(h);
}

describe("murmur2", () => {
  it.each(KAFKA_UTILS_TEST_VECTORS)("matches Kafka's UtilsTest.testMurmur2: %s → %i", (text, expected) => {
    expect(murmur2(utf8(text))).toBe(expected);
  });

  it.each(KAFKAJS_JAVA_VECTORS)("matches Java output recorded by KafkaJS: %s → %i", (text, expected) => {
    expect(murmur2(utf8(text))).toBe(expected);
  });

  it("the reference port agrees with every published vector (so it can judge the rest)", () => {
    for (const [text, expected] of [...KAFKA_UTILS_TEST_VECTORS, ...KAFKAJS_JAVA_VECTORS]) {
      expect(javaMurmur2(utf8(text))).toBe(expected);
    }
  });

  it("equals the literal Java port for any bytes, every tail length included", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        expect(murmur2(bytes)).toBe(javaMurmur2(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it("reads only the view it is given (byteOffset and length of a subarray)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40 }),
        fc.uint8Array({ maxLength: 7 }),
        fc.uint8Array({ maxLength: 7 }),
        (bytes, before, after) => {
          const padded = new Uint8Array([...before, ...bytes, ...after]);
          const view = padded.subarray(before.length, before.length + bytes.length);
          expect(murmur2(view)).toBe(murmur2(bytes.slice()));
        },
      ),
    );
  });

  it("returns a signed 32-bit integer, as Java's int", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const h = murmur2(bytes);
        expect(Number.isInteger(h)).toBe(true);
        expect(h | 0).toBe(h);
      }),
    );
  });

  it("hashes the empty key like Java (seed ^ 0, no tail)", () => {
    expect(murmur2(new Uint8Array(0))).toBe(javaMurmur2(new Uint8Array(0)));
  });

  it("hashes the UTF-8 bytes of non-ASCII keys, bytes >= 0x80 read unsigned as Java's & 0xff", () => {
    const keys: ReadonlyArray<readonly [string, number[]]> = [
      ["héllo", [0x68, 0xc3, 0xa9, 0x6c, 0x6c, 0x6f]],
      ["ключ", [0xd0, 0xba, 0xd0, 0xbb, 0xd1, 0x8e, 0xd1, 0x87]],
      ["🔑", [0xf0, 0x9f, 0x94, 0x91]],
      [
        "日本語キー",
        [0xe6, 0x97, 0xa5, 0xe6, 0x9c, 0xac, 0xe8, 0xaa, 0x9e, 0xe3, 0x82, 0xad, 0xe3, 0x83, 0xbc],
      ],
    ];
    for (const [text, bytes] of keys) {
      const encoded = utf8(text);
      expect([...encoded]).toEqual(bytes); // what Java's StringSerializer (UTF-8) sends
      expect(murmur2(encoded)).toBe(javaMurmur2(new Uint8Array(bytes)));
    }
    // Pinned so a change of encoding or byte handling shows up as a diff, not only as a mismatch with the port.
    expect(murmur2(utf8("héllo"))).toBe(614509002);
    expect(murmur2(utf8("ключ"))).toBe(2122343024);
    expect(murmur2(utf8("🔑"))).toBe(2080712807);
    expect(murmur2(utf8("日本語キー"))).toBe(1445825182);
  });

  it("differs from hashing one byte per character (Latin-1), a mistake a string-based port can make", () => {
    const text = "héllo";
    const latin1 = new Uint8Array([...text].map((c) => c.charCodeAt(0)));
    expect(murmur2(latin1)).not.toBe(murmur2(utf8(text)));
  });
});

describe("toPositive", () => {
  it("clears the sign bit instead of taking the absolute value", () => {
    expect(toPositive(0)).toBe(0);
    expect(toPositive(42)).toBe(42);
    expect(toPositive(-1)).toBe(0x7fffffff);
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(2147483647)).toBe(2147483647);
    expect(toPositive(-973932308)).toBe(1173551340);
    expect(Math.abs(-973932308)).toBe(973932308); // what a wrong port would use
  });

  it("is h & 0x7fffffff for every int, and always in [0, 2^31)", () => {
    fc.assert(
      fc.property(fc.integer({ min: -2147483648, max: 2147483647 }), (h) => {
        const positive = toPositive(h);
        expect(positive).toBe(h >= 0 ? h : h + 2 ** 31);
        expect(positive).toBeGreaterThanOrEqual(0);
        expect(positive).toBeLessThan(2 ** 31);
      }),
    );
  });
});

describe("partitionForKey", () => {
  it.each(KAFKA_UTILS_TEST_VECTORS)("is toPositive(murmur2) %% n for Kafka's vector %s", (text, hash) => {
    for (const n of [1, 2, 3, 6, 7, 10, 12, 100, 1000]) {
      expect(partitionForKey(utf8(text), n)).toBe((hash & 0x7fffffff) % n);
    }
  });

  it("maps a negative hash with & 0x7fffffff, not abs: Kafka's '21' on 10 partitions", () => {
    // -973932308 & 0x7fffffff = 1173551340 → 0; abs would give 973932308 → 8.
    expect(partitionForKey(utf8("21"), 10)).toBe(0);
  });

  it("maps a hash next to Int.MIN_VALUE to a small number, where abs would give a huge one", () => {
    const key = utf8("key-2222237"); // found by search: murmur2 = -2147482973 = Int.MIN_VALUE + 675
    expect(murmur2(key)).toBe(javaMurmur2(key));
    expect(murmur2(key)).toBe(-2147482973);
    expect(toPositive(murmur2(key))).toBe(675);
    expect(partitionForKey(key, 1000)).toBe(675);
    expect(partitionForKey(key, 7)).toBe(675 % 7);
    expect(Math.abs(murmur2(key)) % 1000).toBe(973); // the wrong answer
  });

  it("is in range and equals (h & 0x7fffffff) % n for any key and count", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), fc.integer({ min: 1, max: 10_000 }), (key, n) => {
        const partition = partitionForKey(key, n);
        expect(partition).toBe((javaMurmur2(key) & 0x7fffffff) % n);
        expect(partition).toBeGreaterThanOrEqual(0);
        expect(partition).toBeLessThan(n);
      }),
    );
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])("rejects a partition count of %s", (n) => {
    expect(() => partitionForKey(utf8("k"), n)).toThrow(EdgeLogError);
    try {
      partitionForKey(utf8("k"), n);
    } catch (error) {
      expect(error).toMatchObject({ code: "INVALID_PARTITIONS", retriable: false });
    }
  });
});
