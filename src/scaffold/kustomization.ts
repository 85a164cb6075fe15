/**
 * Listing a file in a folder's kustomization.yaml `resources`, changing as
 * little text as possible: a commented `# - NAME.yaml` line is uncommented in
 * place; otherwise the entry goes after the last item of the list (same
 * indentation), or under an empty `resources:`, or a `resources:` block is
 * appended. Every text edit is parsed back and must change exactly that one
 * thing; if none does, the yaml Document API edits it (comments kept).
 */
import { type Document, isMap, isScalar, isSeq, parseDocument, YAMLSeq } from "yaml";
import { KUSTOMIZATION_NAMES } from "../core/kustomize.js";
import { GuardError } from "../errors.js";

export type ResourceAction = "created" | "uncommented" | "added" | "unchanged";

export const KUSTOMIZATION_HEADER =
  "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n";

export function emptyKustomization(comment?: string): string {
  return `${KUSTOMIZATION_HEADER}${comment ? `# ${comment}\n` : ""}resources: []\n`;
}

function parse(text: string): Document.Parsed | undefined {
  const d = parseDocument(text, { prettyErrors: false });
  return d.errors.length === 0 ? d : undefined;
}

const norm = (s: unknown) => String(s).replace(/^\.\//, "");

function resourcesOf(doc: Document.Parsed): string[] | undefined {
  const r = doc.get("resources", true);
  if (r === undefined || r === null || (isScalar(r) && r.value === null)) return [];
  if (!isSeq(r)) return undefined;
  return r.items.map((i) => (isScalar(i) ? norm(i.value) : "\0"));
}

/** True when `after` is `before` with `entry` added to resources and nothing else changed. */
function onlyAdded(before: Document.Parsed, afterText: string, entry: string): boolean {
  const after = parse(afterText);
  if (!after) return false;
  const b = before.toJSON() as Record<string, unknown>;
  const a = after.toJSON() as Record<string, unknown>;
  const ra = resourcesOf(after);
  const rb = resourcesOf(before);
  if (!ra || !rb || !ra.includes(entry)) return false;
  const withoutEntry = [...ra];
  withoutEntry.splice(withoutEntry.lastIndexOf(entry), 1);
  if (JSON.stringify(withoutEntry) !== JSON.stringify(rb)) return false;
  const strip = (o: Record<string, unknown>) => JSON.stringify({ ...o, resources: undefined });
  return strip(a) === strip(b);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function lineEnd(text: string, at: number): number {
  const i = text.indexOf("\n", at);
  return i === -1 ? text.length : i;
}

function column(text: string, offset: number): number {
  return offset - (text.lastIndexOf("\n", offset - 1) + 1);
}

export function addResource(
  current: string | undefined,
  entry: string,
): { text: string; action: ResourceAction } {
  if (current === undefined) {
    return { text: `${KUSTOMIZATION_HEADER}resources:\n  - ${entry}\n`, action: "created" };
  }
  const doc = parse(current);
  if (!doc || !(isMap(doc.contents) || doc.contents === null)) {
    throw new GuardError(
      "kustomization.yaml cannot be parsed as a YAML mapping; nothing was written",
      `fix it, or add "- ${entry}" to its resources by hand`,
    );
  }
  const list = resourcesOf(doc);
  if (list === undefined) {
    throw new GuardError(
      "kustomization.yaml: resources is not a list; nothing was written",
      `add "- ${entry}" to its resources by hand`,
    );
  }
  if (list.includes(entry)) return { text: current, action: "unchanged" };

  // 1. A commented-out entry: uncomment it where it is.
  const commented = new RegExp(
    `^([ \\t]*)#[ \\t]*-[ \\t]+((?:\\./)?${escapeRe(entry)})[ \\t]*$`,
    "m",
  );
  const m = commented.exec(current);
  if (m) {
    const text = `${current.slice(0, m.index)}${m[1]}- ${m[2]}${current.slice(m.index + m[0].length)}`;
    if (onlyAdded(doc, text, entry)) return { text, action: "uncommented" };
  }

  const node = doc.get("resources", true);
  const pair = isMap(doc.contents)
    ? doc.contents.items.find((p) => isScalar(p.key) && p.key.value === "resources")
    : undefined;
  const withNl = current.endsWith("\n") || current === "" ? current : `${current}\n`;
  const candidates: string[] = [];
  // 2. After the last item of a block list.
  if (isSeq(node) && !node.flow && node.items.length > 0 && node.range) {
    const last = node.items[node.items.length - 1] as { range?: [number, number, number] };
    if (last.range) {
      const at = lineEnd(current, last.range[1]);
      const col = column(current, node.range[0]);
      candidates.push(`${current.slice(0, at)}\n${" ".repeat(col)}- ${entry}${current.slice(at)}`);
    }
  }
  // 3. `resources:` with no value, or `resources: []`.
  const keyRange = pair && isScalar(pair.key) ? pair.key.range : undefined;
  if (keyRange && (!isSeq(node) || node.items.length === 0)) {
    const col = column(current, keyRange[0]);
    const at = lineEnd(current, keyRange[1]);
    let line = current.slice(keyRange[0], at);
    if (isSeq(node) && node.flow && node.range) {
      const s = node.range[0] - keyRange[0];
      const e = node.range[1] - keyRange[0];
      line = `${line.slice(0, s).trimEnd()}${line.slice(e)}`;
    }
    candidates.push(
      `${current.slice(0, keyRange[0])}${line}\n${" ".repeat(col + 2)}- ${entry}${current.slice(at)}`,
    );
  }
  // 4. No resources key at all.
  if (!pair) candidates.push(`${withNl}resources:\n  - ${entry}\n`);
  for (const text of candidates) if (onlyAdded(doc, text, entry)) return { text, action: "added" };

  // 5. The Document API.
  const seq = isSeq(node) ? node : new YAMLSeq();
  seq.flow = false;
  seq.add(doc.createNode(entry));
  doc.set("resources", seq);
  const text = doc.toString();
  if (!onlyAdded(parse(current)!, text, entry)) {
    throw new GuardError(
      "could not add the Secret to kustomization.yaml; nothing was written",
      `add "- ${entry}" to its resources by hand`,
    );
  }
  return { text, action: "added" };
}

/** The kustomization file names kustomize looks for, in its order. */
export { KUSTOMIZATION_NAMES };

/**
 * The `resources` entries of a kustomization, as written (undefined when the
 * text is not a kustomization kustomize could read).
 */
export function resourceEntries(text: string): string[] | undefined {
  const doc = parse(text);
  if (!doc || !(isMap(doc.contents) || doc.contents === null)) return undefined;
  const r = doc.get("resources", true);
  if (r === undefined || r === null || (isScalar(r) && r.value === null)) return [];
  if (!isSeq(r)) return undefined;
  return r.items.filter(isScalar).map((i) => String(i.value));
}

/** Other YAML manifests of a folder (not kustomization files, not `exclude`), by name. */
export async function otherManifests(dir: string, exclude: string): Promise<string[]> {
  const { readdir } = await import("node:fs/promises");
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter(
        (e) =>
          e.isFile() &&
          /\.ya?ml$/i.test(e.name) &&
          e.name !== exclude &&
          !KUSTOMIZATION_NAMES.includes(e.name),
      )
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}
