import { describe, expect, it } from "vitest";
import {
  type CacheFence,
  cacheableUntil,
  closeCacheFence,
  compactionFencedAt,
  extendCacheFence,
  OPEN_CACHE_FENCE,
  planFencedDeletion,
  READ_CACHE_CLOCK_SLACK_MS,
  READ_CACHE_MAX_AGE_LIMIT_MS,
} from "../src/store-kit/read-cache.ts";
import { DEFAULT_TOPIC_CONFIG } from "../src/topic-config.ts";

const NOW = 1_000_000;
const KEEP = { ...DEFAULT_TOPIC_CONFIG, "retention.ms": -1 };
/** Batches of 10 records, appended at NOW with timestamps of NOW. */
const batches = (count: number, from = 0) =>
  Array.from({ length: count }, (_, i) => ({
    baseOffset: from + i * 10,
    lastOffset: from + i * 10 + 9,
    maxTimestamp: NOW,
    logAppendTime: NOW,
  }));

const read = (overrides: Partial<Parameters<typeof cacheableUntil>[0]> = {}) =>
  cacheableUntil({
    fence: OPEN_CACHE_FENCE,
    offset: 0,
    batches: batches(2),
    highWatermark: 100,
    config: KEEP,
    nowMs: NOW,
    maxAgeMs: 10_000,
    ...overrides,
  });

describe("cacheableUntil", () => {
  it("caches an answer below the high watermark for the asked max-age", () => {
    expect(read()).toBe(NOW + 10_000);
  });

  it("never caches an answer that is empty or reaches the high watermark (it would grow)", () => {
    expect(read({ batches: [] })).toBeNull();
    expect(read({ highWatermark: 20 })).toBeNull();
    expect(read({ highWatermark: 21 })).toBe(NOW + 10_000);
  });

  it("caches the records a reader keeps once it holds all it asked for, even when the batches reach the end", () => {
    // Two batches up to the high watermark (20): a JSON fetch of 15 records from 2 keeps [2, 17).
    expect(read({ highWatermark: 20, offset: 2, records: 15 })).toBe(NOW + 10_000);
    expect(read({ highWatermark: 20, offset: 2, records: 18 })).toBe(NOW + 10_000); // exactly the rest
    expect(read({ highWatermark: 20, offset: 2, records: 19 })).toBeNull(); // stopped at the end: would grow
    // Only the batches it keeps bound its life.
    const config = { ...DEFAULT_TOPIC_CONFIG, "retention.ms": 5_000 };
    const young = [
      batches(1)[0],
      { baseOffset: 10, lastOffset: 19, maxTimestamp: NOW - 4_000, logAppendTime: 0 },
    ];
    expect(read({ config, batches: young as never, records: 5 })).toBe(
      NOW + 5_001 - READ_CACHE_CLOCK_SLACK_MS,
    );
    expect(read({ config, batches: young as never, records: 15 })).toBeNull();
  });

  it("is bounded by the limit whatever the caller asks", () => {
    expect(read({ maxAgeMs: 3_600_000 })).toBe(NOW + READ_CACHE_MAX_AGE_LIMIT_MS);
  });

  it("ends a clock slack before retention.ms could delete any batch of the answer", () => {
    const config = { ...DEFAULT_TOPIC_CONFIG, "retention.ms": 5_000 };
    // batchExpiresAt = max(maxTimestamp, appendTime) + retention.ms + 1
    expect(read({ config })).toBe(NOW + 5_001 - READ_CACHE_CLOCK_SLACK_MS);
    // An older batch inside the answer bounds it; one before the requested offset does not.
    const older = [
      { baseOffset: 0, lastOffset: 9, maxTimestamp: NOW - 4_000, logAppendTime: NOW - 4_000 },
      ...batches(1, 10),
    ];
    expect(read({ config, batches: older })).toBeNull(); // 1,001 ms left, less the slack: not worth caching
    expect(read({ config, batches: older, offset: 10 })).toBe(NOW + 5_001 - READ_CACHE_CLOCK_SLACK_MS);
  });

  it("refuses compacted topics, answers below the fence's floor and a closed fence", () => {
    const compact = { ...KEEP, "cleanup.policy": "compact" } as unknown as typeof KEEP;
    expect(read({ config: compact })).toBeNull();
    const floored: CacheFence = { ...OPEN_CACHE_FENCE, floor: 10 };
    expect(read({ fence: floored, offset: 9 })).toBeNull();
    expect(read({ fence: floored, offset: 10 })).not.toBeNull();
    const closed = closeCacheFence(OPEN_CACHE_FENCE, NOW, 1_000);
    expect(read({ fence: closed })).toBeNull();
    expect(read({ fence: closed, nowMs: NOW + 1_000 })).not.toBeNull();
  });
});

describe("extendCacheFence", () => {
  it("moves only forward, a lease past what is needed", () => {
    const fence = extendCacheFence(OPEN_CACHE_FENCE, NOW + 10_000, 5_000);
    expect(fence?.until).toBe(NOW + 15_000);
    // Covered already: nothing to write.
    expect(extendCacheFence(fence as CacheFence, NOW + 14_000, 5_000)).toBeNull();
    expect(extendCacheFence(fence as CacheFence, NOW + 16_000, 5_000)?.until).toBe(NOW + 21_000);
  });
});

describe("planFencedDeletion", () => {
  const live: CacheFence = { ...OPEN_CACHE_FENCE, until: NOW + 10_000 };

  it("deletes at once when no cached answer can be alive", () => {
    expect(planFencedDeletion(OPEN_CACHE_FENCE, { target: 50, logStartOffset: 0, nowMs: NOW })).toEqual({
      deleteTo: 50,
      fence: OPEN_CACHE_FENCE,
      retryAt: null,
    });
    expect(planFencedDeletion(live, { target: 50, logStartOffset: 0, nowMs: NOW + 10_000 }).deleteTo).toBe(
      50,
    );
  });

  it("waits for the answers given so far, and raises the floor so no new one adds to them", () => {
    const plan = planFencedDeletion(live, { target: 50, logStartOffset: 0, nowMs: NOW });
    expect(plan).toEqual({
      deleteTo: 0,
      fence: { ...live, floor: 50, floorSafeAt: NOW + 10_000 },
      retryAt: NOW + 10_000,
    });
    // New answers above the floor push `until` on; the pending deletion still completes at `floorSafeAt`.
    const later = { ...plan.fence, until: NOW + 30_000 };
    expect(planFencedDeletion(later, { target: 50, logStartOffset: 0, nowMs: NOW + 5_000 }).deleteTo).toBe(0);
    expect(planFencedDeletion(later, { target: 50, logStartOffset: 0, nowMs: NOW + 10_000 })).toEqual({
      deleteTo: 50,
      fence: later,
      retryAt: null,
    });
  });

  it("moves up to the protected floor while the rest waits, so a busy partition still makes progress", () => {
    const fence: CacheFence = { ...live, floor: 50, floorSafeAt: NOW, until: NOW + 20_000 };
    const plan = planFencedDeletion(fence, { target: 80, logStartOffset: 10, nowMs: NOW + 1 });
    expect(plan.deleteTo).toBe(50);
    expect(plan.fence).toMatchObject({ floor: 80, floorSafeAt: NOW + 20_000 });
    expect(plan.retryAt).toBe(NOW + 20_000);
  });

  it("never deletes an offset a live answer may show, over any sequence of reads and deletions", () => {
    // A small model: answers (start offset, expiry) given while the fence allows; deletions planned at random.
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    for (let run = 0; run < 200; run++) {
      let fence = OPEN_CACHE_FENCE;
      let logStart = 0;
      const answers: { start: number; expiresAt: number }[] = [];
      for (let now = NOW; now < NOW + 60_000; now += Math.floor(random() * 2_000)) {
        if (random() < 0.6) {
          const start = logStart + Math.floor(random() * 100);
          const until = cacheableUntil({
            fence,
            offset: start,
            batches: [{ baseOffset: start, lastOffset: start + 5, maxTimestamp: now, logAppendTime: now }],
            highWatermark: 1_000,
            config: KEEP,
            nowMs: now,
            maxAgeMs: 1_000 + Math.floor(random() * 10_000),
          });
          if (until !== null) {
            answers.push({ start, expiresAt: until });
            fence = extendCacheFence(fence, until, 2_000) ?? fence;
          }
        } else {
          const target = logStart + Math.floor(random() * 120);
          const plan = planFencedDeletion(fence, { target, logStartOffset: logStart, nowMs: now });
          fence = plan.fence;
          for (const answer of answers) {
            if (answer.start < plan.deleteTo) expect(answer.expiresAt).toBeLessThanOrEqual(now);
          }
          logStart = Math.max(logStart, plan.deleteTo);
        }
      }
    }
  });
});

describe("compactionFencedAt", () => {
  it("holds a due pass until every answer given has expired, and never makes one due", () => {
    const until = NOW + 10_000;
    const given = extendCacheFence(OPEN_CACHE_FENCE, until, 0) ?? OPEN_CACHE_FENCE;
    expect(compactionFencedAt(given, NOW)).toBe(until);
    expect(compactionFencedAt(given, until + 5)).toBe(until + 5);
    expect(compactionFencedAt(given, null)).toBeNull();
    expect(compactionFencedAt(OPEN_CACHE_FENCE, NOW)).toBe(NOW);
  });

  it("a compacted topic gives no cacheable answer, so the fence stops moving once a topic compacts", () => {
    for (const policy of ["compact", "compact,delete"] as const) {
      expect(read({ config: { ...KEEP, "cleanup.policy": policy } })).toBeNull();
    }
  });
});
