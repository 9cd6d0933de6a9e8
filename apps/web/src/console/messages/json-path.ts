/**
 * @module
 * The value filter's JSON path: a small subset of JSONPath with comparisons, parsed once and run on every scanned
 * record. Grammar (docs/console-messages.md "JSON path filters"):
 *
 * ```
 * filter     := comparison ( "&&" comparison )*
 * comparison := path [ op literal ]
 * path       := "$" ( "." name | "." "*" | "[" index "]" | "[" string "]" | "[*]" )*
 * op         := "==" | "!=" | "<" | "<=" | ">" | ">=" | "~="
 * literal    := number | "string" | 'string' | true | false | null
 * ```
 *
 * A path selects values (a wildcard selects every member or element); a comparison holds when any selected value
 * satisfies it, and a bare path when it selects anything (a `null` member counts). `==` / `!=` compare JSON
 * scalars (numbers by value, so `42 == 42.0`); `<` … `>=` compare two numbers or two strings; `~=` holds when a
 * selected string contains the literal. Arrays and objects equal nothing. Bad expressions are `INVALID_REQUEST`
 * errors whose message names the position.
 */
import { EdgeLogError } from "@edgelog/core";

type Segment = { kind: "name"; name: string } | { kind: "index"; index: number } | { kind: "wildcard" };
type Operator = "==" | "!=" | "<" | "<=" | ">" | ">=" | "~=";
type Scalar = string | number | boolean | null;

interface Comparison {
  readonly path: readonly Segment[];
  readonly op?: Operator;
  readonly literal?: Scalar;
}

/** A parsed filter: `matches(value)` runs it on a parsed JSON value. */
export interface JsonPathFilter {
  readonly source: string;
  matches(value: unknown): boolean;
}

/** Bounds on what a typed (or linked) expression can make every scanned record cost. */
export const MAX_EXPRESSION_CHARS = 512;
const MAX_SEGMENTS = 32;
const MAX_COMPARISONS = 8;
/** A wildcard path over a large value selects at most this many values; the rest are not looked at. */
const MAX_SELECTED = 10_000;

const OPERATORS: readonly Operator[] = ["==", "!=", "<=", ">=", "<", ">", "~="];
const NAME_START = /[A-Za-z_$]/;
const NAME_PART = /[A-Za-z0-9_$-]/;
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/;

function syntaxError(source: string, at: number, expected: string): EdgeLogError {
  const found = at >= source.length ? "the end" : `"${source.slice(at, at + 8)}"`;
  return new EdgeLogError("INVALID_REQUEST", `JSON path: expected ${expected} at ${at + 1}, found ${found}`, {
    context: { position: at + 1 },
  });
}

class Parser {
  #at = 0;
  readonly source: string;

  constructor(source: string) {
    this.source = source;
  }

  parse(): Comparison[] {
    const comparisons = [this.#comparison()];
    this.#space();
    while (this.source.startsWith("&&", this.#at)) {
      this.#at += 2;
      if (comparisons.length === MAX_COMPARISONS) {
        throw syntaxError(this.source, this.#at, `at most ${MAX_COMPARISONS} comparisons`);
      }
      comparisons.push(this.#comparison());
      this.#space();
    }
    if (this.#at < this.source.length)
      throw syntaxError(this.source, this.#at, 'an operator, "&&" or the end');
    return comparisons;
  }

  #space(): void {
    while (this.#at < this.source.length && /\s/.test(this.source.charAt(this.#at))) this.#at++;
  }

  #comparison(): Comparison {
    this.#space();
    const path = this.#path();
    this.#space();
    const op = OPERATORS.find((candidate) => this.source.startsWith(candidate, this.#at));
    if (op === undefined) return { path };
    this.#at += op.length;
    this.#space();
    const literal = this.#literal();
    if (op === "~=" && typeof literal !== "string") {
      throw syntaxError(this.source, this.#at, 'a string after "~="');
    }
    const ordering = op !== "==" && op !== "!=" && op !== "~=";
    if (ordering && typeof literal !== "number" && typeof literal !== "string") {
      throw syntaxError(this.source, this.#at, `a number or a string after "${op}"`);
    }
    return { path, op, literal };
  }

  #path(): Segment[] {
    if (this.source.charAt(this.#at) !== "$")
      throw syntaxError(this.source, this.#at, 'a path starting with "$"');
    this.#at++;
    const segments: Segment[] = [];
    for (;;) {
      const ch = this.source.charAt(this.#at);
      if (ch !== "." && ch !== "[") return segments;
      if (segments.length === MAX_SEGMENTS) {
        throw syntaxError(this.source, this.#at, `at most ${MAX_SEGMENTS} path steps`);
      }
      this.#at++;
      segments.push(ch === "." ? this.#dotted() : this.#bracketed());
    }
  }

  #dotted(): Segment {
    if (this.source.charAt(this.#at) === "*") {
      this.#at++;
      return { kind: "wildcard" };
    }
    const start = this.#at;
    if (!NAME_START.test(this.source.charAt(this.#at))) {
      throw syntaxError(this.source, this.#at, 'a member name after "." (use ["…"] for other names)');
    }
    while (this.#at < this.source.length && NAME_PART.test(this.source.charAt(this.#at))) this.#at++;
    return { kind: "name", name: this.source.slice(start, this.#at) };
  }

  #bracketed(): Segment {
    this.#space();
    const ch = this.source.charAt(this.#at);
    let segment: Segment;
    if (ch === "*") {
      this.#at++;
      segment = { kind: "wildcard" };
    } else if (ch === '"' || ch === "'") {
      segment = { kind: "name", name: this.#string() };
    } else {
      const digits = /^\d+/.exec(this.source.slice(this.#at));
      if (digits === null) throw syntaxError(this.source, this.#at, "an index, a quoted name or *");
      this.#at += digits[0].length;
      segment = { kind: "index", index: Number(digits[0]) };
    }
    this.#space();
    if (this.source.charAt(this.#at) !== "]") throw syntaxError(this.source, this.#at, '"]"');
    this.#at++;
    return segment;
  }

  #string(): string {
    const quote = this.source.charAt(this.#at);
    const start = this.#at;
    this.#at++;
    let text = "";
    while (this.#at < this.source.length) {
      const ch = this.source.charAt(this.#at);
      if (ch === quote) {
        this.#at++;
        return text;
      }
      if (ch === "\\") {
        const next = this.source.charAt(this.#at + 1);
        if (next !== quote && next !== "\\") throw syntaxError(this.source, this.#at, `\\${quote} or \\\\`);
        text += next;
        this.#at += 2;
      } else {
        text += ch;
        this.#at++;
      }
    }
    throw syntaxError(this.source, start, "a closed string");
  }

  #literal(): Scalar {
    const ch = this.source.charAt(this.#at);
    if (ch === '"' || ch === "'") return this.#string();
    for (const [word, value] of [
      ["true", true],
      ["false", false],
      ["null", null],
    ] as const) {
      if (this.source.startsWith(word, this.#at)) {
        this.#at += word.length;
        return value;
      }
    }
    const number = NUMBER.exec(this.source.slice(this.#at));
    if (number === null) throw syntaxError(this.source, this.#at, "a number, a string, true, false or null");
    this.#at += number[0].length;
    return Number(number[0]);
  }
}

/** Every value `path` selects in `root`, at most `MAX_SELECTED`. */
function select(root: unknown, path: readonly Segment[]): unknown[] {
  let current: unknown[] = [root];
  for (const segment of path) {
    const next: unknown[] = [];
    for (const value of current) {
      if (next.length >= MAX_SELECTED) break;
      if (typeof value !== "object" || value === null) continue;
      if (segment.kind === "wildcard") {
        next.push(
          ...(Array.isArray(value) ? value : Object.values(value)).slice(0, MAX_SELECTED - next.length),
        );
      } else if (segment.kind === "index") {
        if (Array.isArray(value) && segment.index < value.length) next.push(value[segment.index]);
      } else if (!Array.isArray(value) && Object.hasOwn(value, segment.name)) {
        // Own members only: `$.constructor` must not find Object's.
        next.push((value as Record<string, unknown>)[segment.name]);
      }
    }
    current = next;
  }
  return current;
}

function compare(value: unknown, op: Operator, literal: Scalar): boolean {
  switch (op) {
    case "==":
      return value === literal;
    case "!=":
      return value !== literal;
    case "~=":
      return typeof value === "string" && typeof literal === "string" && value.includes(literal);
    default: {
      if (!(typeof value === typeof literal && (typeof value === "number" || typeof value === "string"))) {
        return false;
      }
      const [a, b] = [value as number | string, literal as number | string];
      return op === "<" ? a < b : op === "<=" ? a <= b : op === ">" ? a > b : a >= b;
    }
  }
}

/**
 * Parses a filter expression; throws `INVALID_REQUEST` naming the position of the first mistake.
 * @example
 * parseJsonPath('$.user.id == 42').matches({ user: { id: 42 } }) // true
 * parseJsonPath("$.items[*].sku ~= 'A1'").matches({ items: [{ sku: "XA1" }] }) // true
 */
export function parseJsonPath(source: string): JsonPathFilter {
  const text = source.trim();
  if (text.length > MAX_EXPRESSION_CHARS) {
    throw new EdgeLogError("INVALID_REQUEST", `JSON path: at most ${MAX_EXPRESSION_CHARS} characters`);
  }
  const comparisons = new Parser(text).parse();
  return {
    source: text,
    matches: (value) =>
      comparisons.every(({ path, op, literal }) => {
        const selected = select(value, path);
        if (op === undefined) return selected.length > 0;
        return selected.some((candidate) => compare(candidate, op, literal ?? null));
      }),
  };
}
