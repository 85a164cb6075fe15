/**
 * YAML scalar typing as sops sees it: sops decodes YAML with go-yaml v3,
 * whose resolver differs from YAML 1.2 core (what the `yaml` package does by
 * default) for `017`, `1_000`, `0b101`, `0o17`, timestamps and case variants.
 * The type decides the `type:` of an ENC value and the bytes hashed into the
 * MAC (sops-format §3.2, §4.5).
 */
import type { ScalarType } from "./tree.js";

export type Resolved = { type: "null" } | { type: ScalarType; text: string };

const NULLS = new Set(["", "~", "null", "Null", "NULL"]);
const TRUES = new Set(["true", "True", "TRUE"]);
const FALSES = new Set(["false", "False", "FALSE"]);
const POS_INF = new Set([".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"]);
const NEG_INF = new Set(["-.inf", "-.Inf", "-.INF"]);
const NANS = new Set([".nan", ".NaN", ".NAN"]);
/** At most 18 digits: always inside int64. */
const DECIMAL = /^(?:0|[1-9][0-9]{0,17})$/;
const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Go `strconv.ParseInt(s, 0, 64)` (after `_` removal by the caller); undefined when it fails. */
function goParseInt(s: string, unsigned: boolean): bigint | undefined {
  let sign = 1n;
  let body = s;
  if (!unsigned && (body.startsWith("+") || body.startsWith("-"))) {
    if (body[0] === "-") sign = -1n;
    body = body.slice(1);
  }
  if (body === "") return undefined;
  let digits: string;
  let re: RegExp;
  let base: number;
  const lower = body.toLowerCase();
  if (lower.startsWith("0x")) {
    base = 16;
    digits = body.slice(2);
    re = /^[0-9a-fA-F]+$/;
  } else if (lower.startsWith("0o")) {
    base = 8;
    digits = body.slice(2);
    re = /^[0-7]+$/;
  } else if (lower.startsWith("0b")) {
    base = 2;
    digits = body.slice(2);
    re = /^[01]+$/;
  } else if (body.length > 1 && body.startsWith("0")) {
    base = 8;
    digits = body.slice(1);
    re = /^[0-7]+$/;
  } else {
    base = 10;
    digits = body;
    re = /^[0-9]+$/;
  }
  if (!re.test(digits)) return undefined;
  let v = 0n;
  const b = BigInt(base);
  for (const ch of digits) v = v * b + BigInt(Number.parseInt(ch, base));
  v *= sign;
  if (unsigned) return v <= UINT64_MAX ? v : undefined;
  return v >= INT64_MIN && v <= INT64_MAX ? v : undefined;
}

/** Go `strconv.FormatFloat(f, 'f', -1, 64)`: shortest round-trip digits, never an exponent. */
export function goFormatFloat(f: number): string {
  if (Number.isNaN(f)) return "NaN";
  if (f === Number.POSITIVE_INFINITY) return "+Inf";
  if (f === Number.NEGATIVE_INFINITY) return "-Inf";
  if (f === 0) return Object.is(f, -0) ? "-0" : "0";
  const exp = f.toExponential();
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(exp);
  if (!m) return String(f);
  const [, neg, d0, rest = "", e] = m;
  const digits = d0 + rest;
  const point = Number(e) + 1;
  let out: string;
  if (point <= 0) out = `0.${"0".repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + "0".repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return neg + out;
}

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const TS_DATE = /^(\d{4})-(\d{1,2})-(\d{1,2})$/;
const TS_FULL =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt]|[ ])(\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * go-yaml v3 timestamps (`2006-1-2T15:4:5.999999999Z07:00`, the same with `t`,
 * `2006-1-2 15:4:5.999999999`, `2006-1-2`), rendered as Go's
 * `time.MarshalText` (RFC 3339, fraction trimmed, offset kept).
 */
function goTimestamp(s: string): string | undefined {
  if (!/^\d{4}-/.test(s)) return undefined;
  let m = TS_DATE.exec(s);
  let parts: string[];
  let frac = "";
  let zone = "Z";
  if (m) {
    parts = [m[1]!, m[2]!, m[3]!, "0", "0", "0"];
  } else {
    m = TS_FULL.exec(s);
    if (!m) return undefined;
    const sep = s.charAt(m[1]!.length + m[2]!.length + m[3]!.length + 2);
    // The space form takes no zone; the T/t forms require one.
    if (sep === " " && m[8] !== undefined) return undefined;
    if (sep !== " " && m[8] === undefined) return undefined;
    parts = [m[1]!, m[2]!, m[3]!, m[4]!, m[5]!, m[6]!];
    frac = (m[7] ?? "").replace(/0+$/, "");
    if (frac === ".") frac = "";
    zone = m[8] === undefined || m[8] === "Z" ? "Z" : m[8];
    // Go formats a zero offset as "Z".
    if (zone === "+00:00" || zone === "-00:00") zone = "Z";
  }
  const [y, mo, d, h, mi, se] = parts.map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (!isCalendarTime(y, mo, d, h, mi, se)) return undefined;
  const p2 = (n: number) => String(n).padStart(2, "0");
  return `${String(y).padStart(4, "0")}-${p2(mo)}-${p2(d)}T${p2(h)}:${p2(mi)}:${p2(se)}${frac}${zone}`;
}

/** A real calendar date and time of day (leap years included), as Go's time.Parse checks. */
export function isCalendarTime(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  se: number,
): boolean {
  if (mo < 1 || mo > 12 || d < 1 || d > DAYS[mo - 1]!) return false;
  if (mo === 2 && d === 29 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0))) return false;
  return h <= 23 && mi <= 59 && se <= 59;
}

/** Resolve a plain (unquoted, untagged) YAML scalar the way go-yaml v3 does. */
export function resolvePlain(text: string): Resolved {
  const c0 = text.charCodeAt(0);
  // Most scalars start with an ASCII letter: only a null or bool spelling (5 letters at most)
  // is no string then; floats and numbers start with one of `.+-`, a digit.
  if ((c0 >= 0x61 && c0 <= 0x7a) || (c0 >= 0x41 && c0 <= 0x5a)) {
    if (
      text.length > 5 ||
      (c0 !== 0x6e && c0 !== 0x74 && c0 !== 0x66 && c0 !== 0x4e && c0 !== 0x54 && c0 !== 0x46)
    )
      return { type: "str", text };
    if (NULLS.has(text)) return { type: "null" };
    if (TRUES.has(text)) return { type: "bool", text: "True" };
    if (FALSES.has(text)) return { type: "bool", text: "False" };
    return { type: "str", text };
  }
  // A decimal int64 without sign, leading zero or `_`: go-yaml's int, its digits unchanged.
  if (DECIMAL.test(text)) return { type: "int", text };
  return resolvePlainFull(text);
}

/** resolvePlain without its shortcuts (exported for the test that proves them equal). */
export function resolvePlainFull(text: string): Resolved {
  if (NULLS.has(text)) return { type: "null" };
  if (TRUES.has(text)) return { type: "bool", text: "True" };
  if (FALSES.has(text)) return { type: "bool", text: "False" };
  if (POS_INF.has(text)) return { type: "float", text: "+Inf" };
  if (NEG_INF.has(text)) return { type: "float", text: "-Inf" };
  if (NANS.has(text)) return { type: "float", text: "NaN" };
  const c = text.charAt(0);
  if (c === ".") {
    if (/^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(text)) {
      return { type: "float", text: goFormatFloat(Number(text)) };
    }
    return { type: "str", text };
  }
  if (c === "+" || c === "-" || (c >= "0" && c <= "9")) {
    const ts = goTimestamp(text);
    if (ts) return { type: "time", text: ts };
    const plain = text.replaceAll("_", "");
    const i = goParseInt(plain, false);
    if (i !== undefined) return { type: "int", text: i.toString() };
    const u = goParseInt(plain, true);
    // sops cannot encrypt uint64 values ("unknown type"); keep the digits.
    if (u !== undefined) return { type: "int", text: u.toString() };
    if (YAML_FLOAT.test(plain)) return { type: "float", text: goFormatFloat(Number(plain)) };
    return { type: "str", text };
  }
  return { type: "str", text };
}

const B64_GO = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Resolve a scalar given its explicit tag (`!!str`, `!!int`, a custom `!tag`,
 * ...) as go-yaml v3 decodes it: a tag the text does not resolve to is an
 * error ("cannot decode !!float `1.5` as a !!int"), an int is accepted as a
 * float, `!!binary` must be valid base64. Throws an Error naming the tag only
 * (never the text). `!!null` on a non-null text is refused too: sops and the
 * guard would disagree on it (a string to go-yaml, "null, skipped" to a reader
 * that trusts the tag), so the guard fails closed.
 */
export function resolveTagged(tag: string, text: string): Resolved | "binary" {
  const short = tag.replace(/^tag:yaml\.org,2002:/, "!!");
  const refuse = (): never => {
    throw new Error(
      `a ${short} tag on a scalar that is not a ${short.slice(2)} (go-yaml refuses it)`,
    );
  };
  switch (short) {
    case "!!str":
      return { type: "str", text };
    case "!!binary":
      if (!B64_GO.test(text.replace(/[\r\n]/g, ""))) refuse();
      return "binary";
    case "!!null":
      if (!NULLS.has(text)) refuse();
      return { type: "null" };
    case "!!bool": {
      const r = resolvePlain(text);
      return r.type === "bool" ? r : refuse();
    }
    case "!!int": {
      const r = resolvePlain(text);
      return r.type === "int" ? r : refuse();
    }
    case "!!float": {
      const r = resolvePlain(text);
      if (r.type === "float") return r;
      if (r.type === "int") return { type: "float", text: goFormatFloat(Number(r.text)) };
      return refuse();
    }
    case "!!timestamp": {
      const r = resolvePlain(text);
      return r.type === "time" ? r : refuse();
    }
    case "!!map":
    case "!!seq":
      return refuse();
    default:
      // Unknown tags decode to a string in go-yaml v3.
      return { type: "str", text };
  }
}

/** Text of a JSON number as sops 3.13.2 types it: int64 → int, else float. */
export function resolveJsonNumber(text: string): Resolved {
  if (/^-?(0|[1-9][0-9]*)$/.test(text)) {
    const v = BigInt(text);
    if (v >= INT64_MIN && v <= INT64_MAX) return { type: "int", text: v.toString() };
  }
  return { type: "float", text: goFormatFloat(Number(text)) };
}
