import type { Finding } from "../../types.js";
import type { Analysis } from "../analyze.js";
import { at, type DocInfo, describe, withInfo } from "../describe.js";
import type { JudgeRule } from "./rule.js";

export const messages = {
  docWithoutBlock: (info: DocInfo) =>
    `${describe(info)}: this document has ENC[...] values but no sops block of its own; Flux decrypts each resource separately and would apply the ENC[...] text verbatim`,
  noBlock: (info: DocInfo) =>
    `${describe(info)}: ENC[...] values but no sops metadata block: nobody can decrypt this file (restore the sops block from git history or re-create the secret)`,
  malformed: (info: DocInfo, n: number) =>
    `${describe(info)}: ${n} ENC[...] value${n === 1 ? "" : "s"} that sops did not write (an empty or placeholder marker, a wrong IV or tag size): nobody can decrypt ${n === 1 ? "it" : "them"}; re-create the value with \`npx secret-guard encrypt <path>\``,
  invalidBlock: (problems: string[]) =>
    `the sops metadata block is invalid (${problems.join("; ")}): sops and Flux cannot decrypt this file`,
};

/** ENC values without a (valid) sops block. */
export const missingSopsMetadata: JudgeRule = {
  id: "missing-sops-metadata",
  check(a: Analysis): Finding[] {
    const out: Finding[] = [];
    for (const d of a.docs) {
      const first = d.values.find((m) => m.state === "encrypted");
      if (!first || d.doc.metadata !== undefined) continue;
      out.push(
        withInfo(
          {
            rule: "missing-sops-metadata",
            severity: "error",
            path: a.path,
            ...at(first),
            ...(a.multi ? { document: d.doc.index } : {}),
            message: a.meta ? messages.docWithoutBlock(d.info) : messages.noBlock(d.info),
            fixable: false,
          },
          d.info,
        ),
      );
    }
    for (const d of a.docs) {
      const bad = d.values.filter((m) => m.state === "malformed");
      if (bad.length === 0) continue;
      out.push(
        withInfo(
          {
            rule: "missing-sops-metadata",
            severity: "error",
            path: a.path,
            ...at(bad[0]),
            ...(a.multi ? { document: d.doc.index } : {}),
            keys: [...new Set(bad.map((m) => m.path.join(".")))],
            message: messages.malformed(d.info, bad.length),
            fixable: false,
          },
          d.info,
        ),
      );
    }
    if (a.meta && a.meta.problems.length > 0) {
      out.push({
        rule: "missing-sops-metadata",
        severity: "error",
        path: a.path,
        ...at(a.metaDoc?.metadataPos),
        message: messages.invalidBlock(a.meta.problems),
        fixable: false,
      });
    }
    return out;
  },
};
