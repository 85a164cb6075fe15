/**
 * Class 4 of issue #12 as a property: a Secret manifest with plaintext
 * values, rewritten with any combination of the spellings go-yaml accepts
 * (tags, verbatim tags, escapes in keys and values, anchors and aliases,
 * block scalars, CR/CRLF line endings, UTF-16/UTF-8 byte order marks,
 * padding, a trailing empty document). Whenever the YAML parser resolves the
 * rewrite to `kind: Secret` with plaintext data, the guard blocks it.
 */
import fc from "fast-check";
import { expect, it } from "vitest";
import { judge } from "../../src/core/judge.js";
import { parseFile } from "../../src/sops/parse.js";
import { get, getString } from "../../src/sops/walk.js";

const VALUE = "canary-prop-Vq71";
const esc = (s: string) =>
  [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");

const kindSpelling = fc.constantFrom(
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
const fieldSpelling = fc.constantFrom("stringData", '"stringData"', `"${esc("stringData")}"`);
const valueSpelling = fc.constantFrom(
  VALUE,
  `"${VALUE}"`,
  `'${VALUE}'`,
  `|-\n    ${VALUE}`,
  `!!str ${VALUE}`,
  `"${esc(VALUE)}"`,
);
const lineEnding = fc.constantFrom("\n", "\r\n", "\r");
const encoding = fc.constantFrom("utf8", "utf8bom", "utf16le", "utf16be");

function render(parts: {
  kind: string;
  field: string;
  value: string;
  eol: string;
  enc: string;
  pad: number;
  trailing: boolean;
}): Buffer {
  const lines = [
    ...Array.from({ length: parts.pad }, () => "# padding"),
    "anchors:",
    "  k: &k Secret",
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

it("every rewrite the parser resolves to a plaintext kind: Secret is blocked", () => {
  let resolved = 0;
  fc.assert(
    fc.property(
      fc.record({
        kind: kindSpelling,
        field: fieldSpelling,
        value: valueSpelling,
        eol: lineEnding,
        enc: encoding,
        pad: fc.integer({ min: 0, max: 3 }),
        trailing: fc.boolean(),
      }),
      (parts) => {
        const bytes = render(parts);
        let isPlainSecret = false;
        try {
          const doc = parseFile(bytes, "yaml").docs[0]!;
          const v = get(get(doc.root, "stringData"), "password");
          isPlainSecret =
            getString(doc.root, "kind") === "Secret" && v?.kind === "leaf" && v.str === VALUE;
        } catch {
          isPlainSecret = false;
        }
        const j = judge({ path: "apps/app.yaml", bytes });
        expect(JSON.stringify(j)).not.toContain(VALUE);
        if (!isPlainSecret) return;
        resolved++;
        expect(j.findings.map((f) => f.rule)).toContain("secret-outside-policy");
      },
    ),
    { numRuns: 400 },
  );
  // The generator must really produce Secrets, not only parse failures.
  expect(resolved).toBeGreaterThan(200);
});
