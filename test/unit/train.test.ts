/**
 * The made-up manifests the hook bundle judges before it writes its code cache
 * (src/cli/train.ts): the common clean shapes, so the cache holds the code of a clean
 * commit of each. A finding here would put the reporting code in the cache instead.
 */
import { describe, expect, it } from "vitest";
import { TRAINING_FILES, train, trainingJudgements } from "../../src/cli/train.js";
import { fastParseYaml } from "../../src/sops/fastyaml.js";

describe("the code cache's training", () => {
  it("judges every made-up file clean; the Secret as encrypted under its rule", () => {
    const judged = trainingJudgements();
    expect(judged.map((j) => j.findings)).toEqual(TRAINING_FILES.map(() => []));
    const secret = judged[0]!;
    expect(secret.hasMetadata).toBe(true);
    expect(secret.intent?.must).toBe(true);
    expect(secret.mustEncrypt.map((m) => m.state)).toEqual(["encrypted", "encrypted"]);
    expect(() => train()).not.toThrow();
  });

  it("holds only YAML the fast path reads (so the yaml package stays out of the cache)", () => {
    for (const [name, text] of TRAINING_FILES)
      if (name.endsWith(".yaml"))
        expect(fastParseYaml(text, { maxDepth: 64, maxNodes: 10_000 }), name).toBeDefined();
  });
});
