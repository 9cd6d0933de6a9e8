import { describe, expect, it } from "vitest";
import {
  browseQueryParams,
  browseRefusal,
  DEFAULT_QUERY,
  parseBrowseQuery,
  parseTime,
  sameSource,
} from "./browse-query.ts";

const parse = (query: string) => parseBrowseQuery(new URLSearchParams(query));

describe("the Messages screen's hash query", () => {
  it("defaults to the latest records of all partitions", () => {
    expect(parse("")).toEqual({ query: DEFAULT_QUERY, problems: [] });
    expect(browseQueryParams(DEFAULT_QUERY)).toEqual({});
  });

  it("round-trips every position and filter", () => {
    const links = [
      "partition=3&from=offset&offset=41",
      "from=earliest&live=1",
      "partition=0&from=time&time=2026-01-05T10%3A00%3A00.000Z",
      "key=user-&keyMatch=prefix&value=%24.total+%3E+10&valueMatch=jsonpath",
      "key=__proto__&value=constructor",
    ];
    for (const link of links) {
      const { query, problems } = parse(link);
      expect(problems).toEqual([]);
      expect(new URLSearchParams(browseQueryParams(query)).toString()).toBe(link);
    }
  });

  it("reads times as ms or ISO dates", () => {
    expect(parseTime("1764000000000")).toBe(1764000000000);
    expect(parseTime(" 2026-01-05T10:00:00Z ")).toBe(Date.UTC(2026, 0, 5, 10));
    expect(parseTime("yesterday")).toBeNull();
    expect(parseTime("-5")).toBeNull();
  });

  it("falls back part by part for a hand-edited link, and says what it ignored", () => {
    const { query, problems } = parse("partition=x&from=offset&offset=-1&keyMatch=regex&live=yes");
    expect(query.partition).toBeNull();
    expect(query.from).toEqual({ kind: "latest" });
    expect(query.filter.keyMatch).toBe("exact");
    expect(query.live).toBe(false);
    expect(problems).toEqual([
      '"x" is not a partition: showing all partitions',
      '"-1" is not an offset: showing the latest records',
    ]);
    expect(parse("from=time&time=soon").problems).toEqual([
      '"soon" is not a time: showing the latest records',
    ]);
    expect(parse("from=middle").problems).toEqual([
      '"middle" is not a start position: showing the latest records',
    ]);
    expect(parse("from=offset&offset=99999999999999999").query.from).toEqual({ kind: "latest" });
  });

  it("bounds filters a link carries", () => {
    expect(parse(`key=${"k".repeat(20_000)}`).query.filter.key).toHaveLength(8_192);
  });

  it("tells a change of what to load from a change of following", () => {
    const base = parse("partition=1&from=earliest").query;
    expect(sameSource(base, { ...base, live: true })).toBe(true);
    expect(sameSource(base, { ...base, partition: 2 })).toBe(false);
    expect(sameSource(base, { ...base, filter: { ...base.filter, key: "a" } })).toBe(false);
  });

  it("browses all partitions merged up to 64, and one of any topic", () => {
    expect(browseRefusal("t", 64, null)).toBeNull();
    expect(browseRefusal("t", 65, null)).toBe(
      '"t" has 65 partitions: choose one to browse (all are merged up to 64).',
    );
    expect(browseRefusal("t", 1000, 999)).toBeNull();
    expect(browseRefusal("t", 3, 3)).toBe('Partition 3 does not exist: "t" has 3.');
  });
});
