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
import { renderSpelling as render, SPELLING_VALUE, spellingParts } from "../helpers/spellings.js";

const VALUE = SPELLING_VALUE;

it("every rewrite the parser resolves to a plaintext kind: Secret is blocked", () => {
  let resolved = 0;
  fc.assert(
    fc.property(spellingParts, (parts) => {
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
    }),
    { numRuns: 400 },
  );
  // The generator must really produce Secrets, not only parse failures.
  expect(resolved).toBeGreaterThan(200);
});
