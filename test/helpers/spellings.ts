/**
 * The spelling generator of issue #12 (class 4): a Secret manifest with plaintext
 * values, rewritten with the spellings go-yaml accepts (tags, verbatim tags, escapes,
 * anchors and aliases, block scalars, CR/CRLF/LF, byte order marks and UTF-16, padding,
 * a trailing empty document). Used by spelling-property.test.ts and fastyaml.test.ts.
 */
import fc from "fast-check";

export const SPELLING_VALUE = "canary-prop-Vq71";
const VALUE = SPELLING_VALUE;
const esc = (s: string) =>
  [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");

export const kindSpelling = fc.constantFrom(
  "kind: Secret",
  "kind: !!str Secret",
  "kind: !<tag:yaml.org,2002:str> Secret",
  `kind: "${esc("Secret")}"`,
  `"${esc("kind")}": Secret`,
  "kind: 'Secret'",
  "kind: |-\n  Secret",
  "kind: >-\n  Secret",
  "kind: *k",
);
export const fieldSpelling = fc.constantFrom(
  "stringData",
  '"stringData"',
  `"${esc("stringData")}"`,
);
export const valueSpelling = fc.constantFrom(
  VALUE,
  `"${VALUE}"`,
  `'${VALUE}'`,
  `|-\n    ${VALUE}`,
  `!!str ${VALUE}`,
  `"${esc(VALUE)}"`,
);
export const lineEnding = fc.constantFrom("\n", "\r\n", "\r");
export const encoding = fc.constantFrom("utf8", "utf8bom", "utf16le", "utf16be");

export interface SpellingParts {
  kind: string;
  field: string;
  value: string;
  eol: string;
  enc: string;
  pad: number;
  trailing: boolean;
}

export const spellingParts = fc.record({
  kind: kindSpelling,
  field: fieldSpelling,
  value: valueSpelling,
  eol: lineEnding,
  enc: encoding,
  pad: fc.integer({ min: 0, max: 3 }),
  trailing: fc.boolean(),
});

export function renderSpelling(parts: SpellingParts, anchors = true): Buffer {
  const lines = [
    ...Array.from({ length: parts.pad }, () => "# padding"),
    ...(anchors ? ["anchors:", "  k: &k Secret"] : []),
    "apiVersion: v1",
    parts.kind,
    "metadata:",
    "  name: app",
    `${parts.field}:`,
    `  password: ${parts.value}`,
    ...(parts.trailing ? ["---"] : []),
  ];
  const text = lines.join("\n").replaceAll("\n", parts.eol) + parts.eol;
  switch (parts.enc) {
    case "utf8bom":
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    case "utf16le":
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
    case "utf16be": {
      const le = Buffer.from(text, "utf16le");
      return Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(le).swap16()]);
    }
    default:
      return Buffer.from(text);
  }
}
