/**
 * `updatekeys`: re-wrap a sops file's data key for the creation rule's
 * CURRENT age recipients. The data key is unwrapped with a local identity and
 * the file is proven to decrypt with it (MAC verified) before anything
 * changes; then only the `age` entries of each document's `sops` block are
 * replaced, by editing the text in place: values, MAC, `lastmodified`, the
 * other metadata and the file's layout stay byte for byte. Recipients the
 * file already has keep their `enc` block; new ones get a fresh wrap.
 *
 * YAML (every document), JSON and dotenv; INI and binary files are refused.
 */
import {
  Document,
  isMap,
  isScalar,
  isSeq,
  Pair,
  parseAllDocuments,
  Scalar,
  YAMLMap,
  YAMLSeq,
} from "yaml";
import { CryptoError } from "../errors.js";
import { parseFile } from "../sops/parse.js";
import type { ParsedFile } from "../sops/tree.js";
import { walkLeaves } from "../sops/walk.js";
import type { CreationRule, Format } from "../types.js";
import { wrapDataKey } from "./age.js";
import { decryptTree, openDataKey, readSopsMeta, type SopsMeta } from "./decrypt.js";

const X25519 = /^age1[02-9ac-hj-np-z]{58}$/;

export interface AgeEntry {
  recipient: string;
  enc: string;
}

export interface RekeyPlan {
  /** Recipients in the file now (first document). */
  current: string[];
  /** The rule's recipients, in rule order. */
  target: string[];
  added: string[];
  removed: string[];
}

/** Why this file/rule cannot be re-keyed natively, or undefined. */
export function rekeyRefusal(rule: CreationRule, format: Format): string | undefined {
  if (format === "ini" || format === "binary")
    return `updatekeys rewrites YAML, JSON and dotenv files; this one uses sops' ${format} store (use \`sops updatekeys\`)`;
  if (rule.otherKeyTypes.length > 0)
    return `creation_rules[${rule.index}] also uses ${rule.otherKeyTypes.join(", ")} keys (use \`sops updatekeys\`)`;
  if (rule.keyGroupCount > 1)
    return `creation_rules[${rule.index}] uses ${rule.keyGroupCount} key groups (use \`sops updatekeys\`)`;
  if (rule.age.length === 0) return `creation_rules[${rule.index}] has no age recipient`;
  const odd = rule.age.filter((r) => !X25519.test(r));
  if (odd.length > 0)
    return `creation_rules[${rule.index}] has SSH, plugin or post-quantum recipients (${odd.map((r) => `${r.slice(0, 16)}…`).join(", ")}), which updatekeys does not wrap for (use \`sops updatekeys\`)`;
  return undefined;
}

function metasOf(parsed: ParsedFile): SopsMeta[] {
  return parsed.docs.filter((d) => d.metadata !== undefined).map((d) => readSopsMeta(d.metadata));
}

/** What would change (no key needed). Throws CryptoError when the file cannot be re-keyed. */
export function planRekey(parsed: ParsedFile, rule: CreationRule): RekeyPlan {
  const refusal = rekeyRefusal(rule, parsed.format);
  if (refusal) throw new CryptoError(refusal);
  const metas = metasOf(parsed);
  if (metas.length === 0) throw new CryptoError("the file has no sops metadata (not encrypted)");
  for (const m of metas) {
    if (m.otherKeyTypes.length > 0 || m.keyGroups > 0)
      throw new CryptoError(
        `the file is also encrypted with ${m.keyGroups > 0 ? "key groups" : m.otherKeyTypes.join(", ")} (use \`sops updatekeys\`)`,
      );
    if (m.age.length === 0) throw new CryptoError("the file has no age recipient");
  }
  const current = [...new Set(metas[0]!.age.map((a) => a.recipient))];
  const target = [...new Set(rule.age)];
  const uneven = metas.some(
    (m) =>
      m.age.map((a) => a.recipient).join(",") !== metas[0]!.age.map((a) => a.recipient).join(","),
  );
  const added = target.filter((r) => !current.includes(r));
  const removed = current.filter((r) => !target.includes(r));
  if (uneven && added.length === 0 && removed.length === 0) {
    // documents disagree: rewrite them all to the rule's list
    return { current, target, added: [], removed: ["(documents with other recipients)"] };
  }
  return { current, target, added, removed };
}

/**
 * Re-key `bytes`. Returns the new content, or undefined when nothing changes. Throws
 * CryptoError (nothing to write) when no local identity opens the file, the file does not
 * verify, or the format cannot be edited.
 */
export async function rekey(
  bytes: Buffer,
  format: Format,
  rule: CreationRule,
  identities: readonly string[],
): Promise<{ plan: RekeyPlan; out?: Buffer }> {
  const parsed = parseFile(bytes, format);
  const plan = planRekey(parsed, rule);
  if (plan.added.length === 0 && plan.removed.length === 0) return { plan };
  const metas = metasOf(parsed);
  const key = await fileDataKey(metas, plan, identities, "sops updatekeys");
  const check = decryptTree(parsed, metas[0]!, key);
  if (!check.ok)
    throw new CryptoError(
      `the file does not verify with its data key (${check.problem === "mac-mismatch" ? "MAC mismatch: it was edited by hand; fix it with `sops edit` first" : (check.detail ?? check.problem)})`,
    );
  const existing = new Map(metas[0]!.age.map((a) => [a.recipient, a.enc]));
  const entries: AgeEntry[] = [];
  for (const recipient of plan.target) {
    const enc = existing.get(recipient) ?? (await wrapDataKey(key, recipient));
    entries.push({ recipient, enc });
  }
  const text = bytes.toString("utf8");
  let out: string;
  if (format === "yaml") out = replaceYamlAge(text, entries);
  else if (format === "json") out = replaceJsonAge(text, entries);
  else out = replaceDotenvAge(text, entries);
  const result = Buffer.from(out, "utf8");
  selfCheck(parsed, result, format, key, plan.target);
  return { plan, out: result };
}

/** The output must carry the same values, MAC and lastmodified, the new recipients, and verify. */
function selfCheck(
  before: ParsedFile,
  out: Buffer,
  format: Format,
  key: Buffer,
  target: string[],
): void {
  const after = parseFile(out, format);
  const mb = metasOf(before);
  const ma = metasOf(after);
  if (ma.length !== mb.length) throw new CryptoError("self-check failed: a sops block was lost");
  ma.forEach((m, i) => {
    const b = mb[i]!;
    if (m.mac !== b.mac || m.lastmodified !== b.lastmodified)
      throw new CryptoError("self-check failed: the MAC or lastmodified changed");
    if (m.age.map((a) => a.recipient).join(",") !== target.join(","))
      throw new CryptoError("self-check failed: the recipients are not the rule's");
  });
  const leaves = (p: ParsedFile) =>
    p.docs.flatMap((d) =>
      [...walkLeaves(d.root)].map(
        (v) => `${v.path.join(":")}=${v.leaf.type}:${v.leaf.plain.toString("base64")}`,
      ),
    );
  const lb = leaves(before);
  const la = leaves(after);
  if (lb.length !== la.length || lb.some((x, i) => x !== la[i]))
    throw new CryptoError("self-check failed: a value changed");
  const r = decryptTree(after, ma[0]!, key);
  if (!r.ok) throw new CryptoError(`self-check failed: the output does not verify (${r.problem})`);
}

// ---------------------------------------------------------------- YAML

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf("\n", offset - 1) + 1;
}

/** Replace the `age` list of every document's `sops` block, leaving every other byte alone. */
export function replaceYamlAge(text: string, entries: AgeEntry[]): string {
  const docs = parseAllDocuments(text, { keepSourceTokens: false });
  if (!Array.isArray(docs)) throw new CryptoError("YAML could not be parsed");
  const edits: Array<{ start: number; end: number; text: string }> = [];
  for (const d of docs) {
    if (d.errors.length) throw new CryptoError("YAML could not be parsed");
    const c = d.contents;
    if (!isMap(c)) continue;
    const sops = c.get("sops", true);
    if (!isMap(sops)) continue;
    const pair = sops.items.find((p) => isScalar(p.key) && p.key.value === "age");
    if (!pair || !isScalar(pair.key) || !pair.key.range) continue;
    const value = pair.value as YAMLSeq | null;
    if (!isSeq(value) || !value.range || value.flow)
      throw new CryptoError(
        "the sops block's age list has an unexpected layout (use `sops updatekeys`)",
      );
    const keyAt = pair.key.range[0];
    const start = lineStart(text, keyAt);
    const keyCol = keyAt - start;
    if (text.slice(start, keyAt).trim() !== "")
      throw new CryptoError(
        "the sops block's age list has an unexpected layout (use `sops updatekeys`)",
      );
    const first = value.items[0] as { range?: [number, number, number] } | undefined;
    let dashCol = keyCol + 2;
    if (first?.range) {
      const dash = text.lastIndexOf("-", first.range[0]);
      dashCol = dash - lineStart(text, dash);
    }
    const indentSeq = dashCol > keyCol;
    const unit = indentSeq ? dashCol - keyCol : keyCol > 0 ? keyCol : 2;
    const firstItem = value.items[0];
    const recipientFirst =
      isMap(firstItem) &&
      isScalar(firstItem.items[0]?.key) &&
      firstItem.items[0].key.value === "recipient";
    const end = value.range[2];
    const endsWithNewline = text[end - 1] === "\n";
    let rendered = renderAge(entries, unit, indentSeq, recipientFirst)
      .split("\n")
      .map((l) => (l === "" ? l : " ".repeat(keyCol) + l))
      .join("\n");
    if (!endsWithNewline) rendered = rendered.replace(/\n$/, "");
    edits.push({ start, end, text: rendered });
  }
  if (edits.length === 0) throw new CryptoError("no sops age list found to update");
  let out = text;
  for (const e of edits.sort((a, b) => b.start - a.start))
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

function renderAge(
  entries: AgeEntry[],
  unit: number,
  indentSeq: boolean,
  recipientFirst: boolean,
): string {
  const str = (v: string, type: Scalar.Type = "PLAIN") => {
    const s = new Scalar(v);
    s.type = type;
    return s;
  };
  const seq = new YAMLSeq();
  for (const a of entries) {
    const m = new YAMLMap();
    const enc = new Pair(
      str("enc"),
      str(a.enc.endsWith("\n") ? a.enc : `${a.enc}\n`, "BLOCK_LITERAL"),
    );
    const rec = new Pair(str("recipient"), str(a.recipient));
    m.items.push(...(recipientFirst ? [rec, enc] : [enc, rec]));
    seq.items.push(m);
  }
  const map = new YAMLMap();
  map.items.push(new Pair(str("age"), seq));
  const doc = new Document();
  doc.contents = map;
  return doc.toString({ indent: unit, indentSeq, lineWidth: 0, minContentWidth: 0 });
}

// ---------------------------------------------------------------- JSON

/** Offsets of JSON values, found by a small scanner (strings, nesting). */
function skipWs(t: string, i: number): number {
  while (i < t.length && /\s/.test(t[i]!)) i++;
  return i;
}

function skipString(t: string, i: number): number {
  i++;
  while (i < t.length) {
    if (t[i] === "\\") i += 2;
    else if (t[i] === '"') return i + 1;
    else i++;
  }
  throw new CryptoError("JSON could not be parsed");
}

function skipValue(t: string, i: number): number {
  i = skipWs(t, i);
  const ch = t[i];
  if (ch === '"') return skipString(t, i);
  if (ch === "{" || ch === "[") {
    let depth = 0;
    while (i < t.length) {
      const c = t[i]!;
      if (c === '"') {
        i = skipString(t, i);
        continue;
      }
      if (c === "{" || c === "[") depth++;
      if (c === "}" || c === "]") {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    throw new CryptoError("JSON could not be parsed");
  }
  while (i < t.length && !/[\s,}\]]/.test(t[i]!)) i++;
  return i;
}

/** The [start, end) of member `key`'s value in the object starting at `at`. */
function memberSpan(t: string, at: number, key: string): [number, number, number] | undefined {
  let i = skipWs(t, at);
  if (t[i] !== "{") return undefined;
  i++;
  for (;;) {
    i = skipWs(t, i);
    if (t[i] === "}") return undefined;
    if (t[i] !== '"') throw new CryptoError("JSON could not be parsed");
    const keyStart = i;
    const keyEnd = skipString(t, i);
    const name = JSON.parse(t.slice(keyStart, keyEnd)) as string;
    i = skipWs(t, keyEnd);
    if (t[i] !== ":") throw new CryptoError("JSON could not be parsed");
    const vStart = skipWs(t, i + 1);
    const vEnd = skipValue(t, vStart);
    if (name === key) return [keyStart, vStart, vEnd];
    i = skipWs(t, vEnd);
    if (t[i] === ",") i++;
  }
}

export function replaceJsonAge(text: string, entries: AgeEntry[]): string {
  const sops = memberSpan(text, 0, "sops");
  if (!sops) throw new CryptoError("no sops block found");
  const age = memberSpan(text, sops[1], "age");
  if (!age) throw new CryptoError("no sops age list found to update");
  const [keyStart, vStart, vEnd] = age;
  const ls = lineStart(text, keyStart);
  const indent = text.slice(ls, keyStart);
  const sopsIndent = text.slice(lineStart(text, sops[0]), sops[0]);
  const unit =
    indent.startsWith(sopsIndent) && indent.length > sopsIndent.length
      ? indent.slice(sopsIndent.length)
      : "\t";
  const old = JSON.parse(text.slice(vStart, vEnd)) as Array<Record<string, unknown>>;
  const recipientFirst = old.length > 0 && Object.keys(old[0] ?? {})[0] === "recipient";
  const list = entries.map((a) =>
    recipientFirst
      ? { recipient: a.recipient, enc: a.enc }
      : { enc: a.enc, recipient: a.recipient },
  );
  const rendered = JSON.stringify(list, null, unit).split("\n").join(`\n${indent}`);
  return text.slice(0, vStart) + rendered + text.slice(vEnd);
}

// ---------------------------------------------------------------- dotenv

const DOTENV_AGE = /^sops_age__list_\d+__map_(enc|recipient)=/;

export function replaceDotenvAge(text: string, entries: AgeEntry[]): string {
  const lines = text.split("\n");
  const at = lines.findIndex((l) => DOTENV_AGE.test(l));
  if (at === -1) throw new CryptoError("no sops age list found to update");
  const kept = lines.filter((l) => !DOTENV_AGE.test(l));
  const fresh = entries.flatMap((a, i) => [
    `sops_age__list_${i}__map_enc=${a.enc.replaceAll("\n", "\\n")}`,
    `sops_age__list_${i}__map_recipient=${a.recipient}`,
  ]);
  const before = lines.slice(0, at).filter((l) => !DOTENV_AGE.test(l));
  return [...before, ...fresh, ...kept.slice(before.length)].join("\n");
}

/**
 * The one data key every document of a file shares, opened with a local identity
 * (updatekeys and --rotate both need it); `fallback` names the sops command to use instead.
 */
export async function fileDataKey(
  metas: Parameters<typeof openDataKey>[0][],
  plan: RekeyPlan,
  identities: readonly string[],
  fallback: string,
): Promise<Buffer> {
  const keys: Buffer[] = [];
  for (const m of metas) {
    const k = await openDataKey(m, identities);
    if (!k)
      throw new CryptoError(
        `no local age identity opens it (encrypted for ${plan.current.join(", ")})`,
        "point SOPS_AGE_KEY_FILE at a key the file is encrypted for",
      );
    keys.push(k);
  }
  const key = keys[0]!;
  if (keys.some((k) => !k.equals(key)))
    throw new CryptoError(
      `the documents of this file use different data keys (use \`${fallback}\`)`,
    );
  return key;
}
