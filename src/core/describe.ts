/**
 * Shared wording for the rule modules: how a document, a creation rule, a
 * selector and a recipient are named in a finding's message. Never a value.
 */

import type { TreeNode } from "../sops/tree.js";
import { get, getString } from "../sops/walk.js";
import type { CreationRule, Finding, Selector } from "../types.js";

export interface DocInfo {
  kind?: string;
  name?: string;
  namespace?: string;
}

export function docInfo(root: TreeNode | undefined): DocInfo {
  if (!root) return {};
  const md = get(root, "metadata");
  return {
    kind: getString(root, "kind"),
    name: getString(md, "name"),
    namespace: getString(md, "namespace"),
  };
}

/** Copy the object's kind, name and namespace onto a finding. */
export function withInfo(f: Finding, info: DocInfo | undefined): Finding {
  if (!info) return f;
  if (info.kind) f.kind = info.kind;
  if (info.name) f.name = info.name;
  if (info.namespace) f.namespace = info.namespace;
  return f;
}

/** `Secret develop/backend`, or `document`. */
export function describe(info: DocInfo | undefined): string {
  if (!info?.kind) return "document";
  const id = [info.namespace, info.name].filter(Boolean).join("/");
  return id ? `${info.kind} ${id}` : info.kind;
}

export function ruleLabel(rule: CreationRule): string {
  return `creation_rules[${rule.index}]${rule.pathRegex ? ` (path_regex ${rule.pathRegex})` : " (matches every path)"}`;
}

export function describeSelector(s: Selector | undefined): string {
  if (!s || s.value === "") return "every value";
  return `${s.field}: ${s.value}${s.isDefault ? " (sops default)" : ""}`;
}

export function short(recipient: string): string {
  return recipient.length > 20 ? `${recipient.slice(0, 12)}…${recipient.slice(-6)}` : recipient;
}

export function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** 1-based line/column fields, when known. */
export function at(p: { line?: number; column?: number } | undefined): {
  line?: number;
  column?: number;
} {
  return p?.line ? { line: p.line, ...(p.column ? { column: p.column } : {}) } : {};
}
