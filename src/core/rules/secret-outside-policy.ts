import type { Finding } from "../../types.js";
import type { Analysis } from "../analyze.js";
import {
  at,
  type DocInfo,
  describe,
  describeSelector,
  ruleLabel,
  unique,
  withInfo,
} from "../describe.js";
import type { Origin } from "../kube.js";
import type { GeneratorSource } from "../types.js";
import type { JudgeRule } from "./rule.js";

const ORIGIN: Record<Origin, (where: string) => string> = {
  document: () => "",
  "list-item": (w) => ` (an item of a List, at ${w})`,
  patch: (w) => ` (inside an inline kustomize patch at ${w}, which sops cannot encrypt)`,
  "last-applied-configuration": () =>
    " (inside the kubectl.kubernetes.io/last-applied-configuration annotation, a plaintext copy of the object)",
  generate: (w) => ` (the object the Kyverno generate rule at ${w} creates)`,
  mutate: (w) => ` (the patch at ${w}, which Kyverno applies to the Secrets its rule matches)`,
  nested: (w) => ` (a Secret manifest nested at ${w}, which the chart or controller applies as is)`,
  embedded: (w) =>
    ` (a manifest written inside the string at ${w}, applied by whatever reads it; sops cannot encrypt it in place)`,
};

export const messages = {
  selectorLeaves: (info: DocInfo, rule: string, selector: string) =>
    `${describe(info)}: values the selector of ${rule} (${selector}) leaves in plaintext`,
  noRule: (info: DocInfo) =>
    `${describe(info)} with plaintext values in a file that no creation rule in .sops.yaml covers`,
  otherStore: (info: DocInfo) =>
    `${describe(info)} with plaintext values: kustomize reads this file as YAML, sops (by its name) with another store, so no selector protects them; give it a .yaml name under a creation rule`,
  where: (origin: Origin, typos: string[], at = "") =>
    `${ORIGIN[origin](at)}${typos.length ? `; misspelt: ${typos.join(", ")} — the values stay in the clear` : ""}`,
  generator: (g: GeneratorSource) =>
    g.copied
      ? `a source of kustomize configMapGenerator "${g.generator}" (${g.field} in ${g.kustomization}) whose value replacements there copy into a Secret (a target selects kind: Secret): it is Secret data in plaintext; keep it in a sops-encrypted Secret or secretGenerator source instead`
      : `a source of kustomize secretGenerator "${g.generator}" (${g.field} in ${g.kustomization}) that is not sops-encrypted: kustomize turns its content into Secret data; encrypt it with \`npx secret-guard encrypt <path>\` under a creation rule`,
  literals:
    "kustomize secretGenerator literals carry secret values in plaintext; move them into a sops-encrypted env file (secretGenerator.envs) that a creation rule covers",
  delivered: (
    d: { via: string; name: string; inline?: boolean; fromResource?: boolean },
    g?: GeneratorSource,
  ) =>
    d.via === "postbuild-substitute"
      ? `Flux Kustomization ${d.name}: postBuild.substitute values named like credentials are written into the manifests Flux applies, and sit in plaintext in git; keep them in a sops-encrypted Secret named in postBuild.substituteFrom`
      : d.via === "substitution-configmap"
        ? `ConfigMap flux-system/${d.name}: values named like credentials in the namespace Flux's postBuild.substituteFrom reads are substituted into the manifests Flux applies, and sit in plaintext in git; keep them in a sops-encrypted Secret (substituteFrom kind: Secret)`
        : d.via === "replacement" && d.fromResource
          ? `ConfigMap ${d.name}: kustomize replacements in ${g?.kustomization ?? "its kustomization"} copy this value into a Secret (a target selects kind: Secret): it is Secret data in plaintext; keep it in a sops-encrypted Secret instead`
          : d.via === "replacement"
            ? `kustomize replacements copy configMapGenerator "${d.name}" literals into a Secret (a target selects kind: Secret): they are Secret data in plaintext; keep the value in a sops-encrypted Secret or env file instead`
            : `kustomize builtin SecretGenerator "${d.name}"${d.inline ? " (inline under generators)" : g?.field === "generators" ? ` (listed under generators in ${g.kustomization})` : ""}: its literals carry secret values in plaintext; move them into a sops-encrypted env file (envs) that a creation rule covers`,
};

/** Secret values the policy would leave in plaintext. */
export const secretOutsidePolicy: JudgeRule = {
  id: "secret-outside-policy",
  check(a: Analysis): Finding[] {
    const out: Finding[] = [];
    const rule = a.input.rule;
    for (const d of a.docs) {
      const docTag = a.multi ? { document: d.doc.index } : {};
      for (const s of d.secretsOutside) {
        const info = s.object.info;
        out.push(
          withInfo(
            {
              rule: "secret-outside-policy",
              severity: "error",
              path: a.path,
              ...at(s.first),
              ...docTag,
              keys: unique(s.keys),
              message: rule
                ? messages.selectorLeaves(info, ruleLabel(rule), describeSelector(a.selector)) +
                  messages.where(s.object.origin, s.object.typos, s.object.where)
                : (a.input.kustomizeView ? messages.otherStore(info) : messages.noRule(info)) +
                  messages.where(s.object.origin, s.object.typos, s.object.where),
              fixable: false,
            },
            info,
          ),
        );
      }
      const lit = d.literalsOutside;
      if (lit.keys.length > 0) {
        out.push({
          rule: "secret-outside-policy",
          severity: "error",
          path: a.path,
          ...at(lit.first),
          ...docTag,
          kind: "secretGenerator",
          keys: unique(lit.keys),
          message: messages.literals,
          fixable: false,
        });
      }
      for (const d2 of d.delivered) {
        out.push({
          rule: "secret-outside-policy",
          severity: "error",
          path: a.path,
          ...at(d2.first),
          ...docTag,
          kind:
            d2.via === "replacement" || d2.via === "substitution-configmap"
              ? "ConfigMap"
              : d2.via === "postbuild-substitute"
                ? "Kustomization"
                : "SecretGenerator",
          name: d2.name,
          keys: unique(d2.keys),
          message: messages.delivered(d2, a.input.generatorSource),
          fixable: false,
        });
      }
    }
    const gen = a.input.generatorSource;
    if (gen && a.generatorPlain) {
      out.push({
        rule: "secret-outside-policy",
        severity: "error",
        path: a.path,
        ...at(a.generatorPlain.first),
        kind: "secretGenerator",
        name: gen.generator,
        keys: unique(a.generatorPlain.keys),
        message: messages.generator(gen),
        fixable: false,
      });
    }
    return out;
  },
};
