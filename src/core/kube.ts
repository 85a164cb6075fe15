/**
 * What kustomize and the API server make of a document (go-yaml through
 * sigs.k8s.io/yaml): merge keys (`<<`) resolved, Secrets found wherever they
 * end up as objects: at the top, in `kind: List`/`*List` items at any depth,
 * in inline kustomize patches (a kustomization with or without `kind:`, Flux
 * Kustomization `spec`, HelmRelease `postRenderers`, Argo CD `kustomize`), in
 * the `last-applied-configuration` annotation (a JSON copy of the object), in
 * Kyverno `generate` rules, and as manifests nested in other objects or
 * written into their strings (HelmRelease `extraDeploy`, CAPI
 * ClusterResourceSet ConfigMaps). The one place that knows where objects
 * hide; bounded: objects MAX_DEPTH deep, strings in strings
 * MAX_STRING_NESTING deep, each string read once and only when a `kind` key
 * can be in it. Pure.
 */
import { DEFAULT_LIMITS, type ParseLimits, parseFile } from "../sops/parse.js";
import type { MapItem, MapNode, Pos, SeqNode, TreeNode } from "../sops/tree.js";
import { get, getString } from "../sops/walk.js";

/** Deepest object nesting followed (Lists in Lists, patches in annotations). */
const MAX_DEPTH = 16;

/**
 * A mapping with its merge keys resolved as go-yaml v2 (what sigs.k8s.io/yaml
 * uses) does: `<<: map` or `<<: [map, …]` supplies keys the mapping does not
 * set itself, earlier maps in a list winning. Other nodes are returned as is.
 */
export function kubeView(node: TreeNode | undefined, depth = 0): TreeNode | undefined {
  if (!node || depth > MAX_DEPTH * 8) return node;
  if (node.kind === "seq") {
    return {
      ...node,
      items: node.items.map((i) => (i.kind === "comment" ? i : kubeView(i, depth + 1)!)),
    };
  }
  if (node.kind !== "map") return node;
  const own: MapItem[] = [];
  const merged: MapItem[] = [];
  for (const it of node.items) {
    if (it.kind !== "item") continue;
    if (it.key !== "<<") {
      const value = kubeView(it.value, depth + 1)!;
      // A leaf's view is the leaf: the item itself serves (nothing changes an item).
      own.push(value === it.value ? it : { ...it, value });
      continue;
    }
    const sources =
      it.value.kind === "seq"
        ? it.value.items.filter((i): i is TreeNode => i.kind !== "comment")
        : [it.value];
    for (const s of sources) {
      const v = kubeView(s, depth + 1);
      if (v?.kind !== "map") continue;
      for (const m of v.items) if (m.kind === "item") merged.push(m);
    }
  }
  if (merged.length === 0) return { kind: "map", items: own, pos: node.pos } satisfies MapNode;
  const keys = new Set(own.map((i) => i.key));
  const items: MapItem[] = [...own];
  for (const m of merged) {
    if (keys.has(m.key)) continue;
    keys.add(m.key);
    items.push(m);
  }
  return { kind: "map", items, pos: node.pos } satisfies MapNode;
}

/** How a kube object was found. */
export type Origin =
  | "document"
  | "list-item"
  | "patch"
  | "last-applied-configuration"
  /** Synthesised from a Kyverno policy's `generate` rule (`kind`, `name` and `data`). */
  | "generate"
  /** A Kyverno `mutate` rule's patch of the Secrets it matches. */
  | "mutate"
  /** A manifest nested as a mapping inside another object (HelmRelease values, a Composition). */
  | "nested"
  /** A manifest inside a string value (a ConfigMap that CAPI or a chart applies). */
  | "embedded";

export interface KubeObject {
  node: MapNode;
  /** Mapping keys from the document root to the object (for selectors and messages). */
  prefix: string[];
  origin: Origin;
  /** Where the object sits, with sequence indices (`spec.values.extraDeploy[0]`); "" for the document. */
  where: string;
  /**
   * Encrypting the file cannot protect its values: read from inside a string,
   * synthesised (JSON 6902 operations), or a kustomize patch (kustomize and the
   * controllers read kustomizations and post-renderers unencrypted).
   */
  opaque: boolean;
  /** Read from inside a string: the position of that string in the file (inner positions are not). */
  at?: Pos;
}

export interface KubeOptions {
  /** The file has a name kustomize reads as a kustomization: a document without `kind` is one. */
  kustomizationFile?: boolean;
  /** Extra kinds treated as Secrets: strings naming one are read as manifests too. */
  kinds?: readonly string[];
}

/**
 * The largest string read as a manifest: etcd refuses a request above 1.5 MiB,
 * so no applied object (a ConfigMap, a HelmRelease) can carry a longer value.
 */
const MAX_EMBEDDED_BYTES = 1536 * 1024;
/** Strings inside strings followed this deep (a Secret in a ConfigMap in a patch). */
const MAX_STRING_NESTING = 4;
const EMBEDDED_LIMITS: ParseLimits = { ...DEFAULT_LIMITS, maxBytes: MAX_EMBEDDED_BYTES };

/** Per document root and options: the objects, computed once (every rule asks). */
const CACHE = new WeakMap<MapNode, Map<string, KubeObject[]>>();

/** Every object of a document as kustomize/the API would see it, nested ones included. */
export function kubeObjects(root: MapNode, opts: KubeOptions = {}): KubeObject[] {
  const key = `${opts.kustomizationFile ? 1 : 0}|${(opts.kinds ?? []).join("\0")}`;
  let byOpts = CACHE.get(root);
  const hit = byOpts?.get(key);
  if (hit) return hit;
  const w: Walk = { out: [], seen: new Set(), texts: new Map(), opts };
  const view = kubeView(root) as MapNode;
  visit(view, { opaque: false, depth: 0, strings: 0 }, "document", w);
  if (!byOpts) {
    byOpts = new Map();
    CACHE.set(root, byOpts);
  }
  byOpts.set(key, w.out);
  return w.out;
}

interface Walk {
  out: KubeObject[];
  /** Nodes already visited or read (an object is reported once, a string read once). */
  seen: Set<TreeNode>;
  /** Each distinct string parsed once (aliases repeat the same text). */
  texts: Map<string, MapNode[]>;
  opts: KubeOptions;
}

/** One step of the path from the document root: a mapping key or a sequence index. */
interface Step {
  parent?: Step;
  key?: string;
  index?: number;
  /** Shown instead of the path so far (a Kyverno rule, not its `data`). */
  shown?: string;
}

/** Where the walk is (the path, built only for objects found: O(1) per node walked) and the bounds. */
interface Here {
  step?: Step;
  opaque: boolean;
  at?: Pos;
  /** Objects inside objects. */
  depth: number;
  /** Strings inside strings. */
  strings: number;
}

// Built field by field (not spread): one of these per mapping key walked. `at` may be present
// as undefined; every reader tests its value, never its presence.
function key(h: Here, k: string): Here {
  return {
    step: { parent: h.step, key: k },
    opaque: h.opaque,
    at: h.at,
    depth: h.depth,
    strings: h.strings,
  };
}

function index(h: Here, i: number): Here {
  return {
    step: { parent: h.step, index: i },
    opaque: h.opaque,
    at: h.at,
    depth: h.depth,
    strings: h.strings,
  };
}

/** The mapping keys to here (selectors' path: no indices) and the display path (`a.b[0].c`). */
function pathOf(h: Here): { prefix: string[]; where: string } {
  const steps: Step[] = [];
  for (let s = h.step; s; s = s.parent) steps.push(s);
  steps.reverse();
  const prefix: string[] = [];
  let where = "";
  for (const s of steps) {
    if (s.key !== undefined) {
      prefix.push(s.key);
      where = where ? `${where}.${s.key}` : s.key;
    } else if (s.index !== undefined) where = `${where}[${s.index}]`;
  }
  return { prefix, where: h.step?.shown ?? where };
}

function shownAs(h: Here, where: string): Here {
  return { ...h, step: { ...h.step, shown: where } };
}

/** Into the string at `leaf`: its values are out of the selectors' reach. */
function intoString(h: Here, leaf: TreeNode): Here {
  return { ...h, opaque: true, at: h.at ?? leaf.pos, strings: h.strings + 1 };
}

function visit(node: MapNode, h: Here, origin: Origin, w: Walk): void {
  if (h.depth > MAX_DEPTH || w.seen.has(node)) return;
  w.seen.add(node);
  const { prefix, where } = pathOf(h);
  w.out.push({
    node,
    prefix,
    origin,
    where,
    opaque: h.opaque,
    ...(h.at ? { at: h.at } : {}),
  });
  const inner: Here = { ...h, depth: h.depth + 1 };
  const kind = getString(node, "kind");
  // kind: List, SecretList, ConfigMapList, …: items are objects (sigs.k8s.io/yaml, kubectl).
  if (kind !== undefined && /List$/.test(kind)) {
    const items = get(node, "items");
    if (items?.kind === "seq") {
      const at = key(inner, "items");
      elements(items).forEach((i, n) => {
        if (i.kind === "map") visit(i, index(at, n), "list-item", w);
      });
    }
  }
  // kubectl apply's annotation: a JSON copy of the whole object.
  const annKey = "kubectl.kubernetes.io/last-applied-configuration";
  const annotations = get(get(node, "metadata"), "annotations");
  const last = get(annotations, annKey);
  if (
    last?.kind === "leaf" &&
    last.type === "str" &&
    last.str?.trim() &&
    h.strings < MAX_STRING_NESTING
  ) {
    w.seen.add(last);
    const at = intoString(key(key(key(inner, "metadata"), "annotations"), annKey), last);
    for (const doc of parseEmbedded(last.str, "json"))
      visit(doc, at, "last-applied-configuration", w);
  }
  // kustomize patches, wherever a tool hands them to kustomize.
  for (const [container, at] of patchContainers(node, kind, origin, inner, w.opts))
    kustomizePatches(container, at, w);
  // Kyverno: a generate rule creates the object it describes, a mutate rule patches Secrets.
  if ((kind === "ClusterPolicy" || kind === "Policy") && isKyverno(node)) kyverno(node, inner, w);
  // Anywhere else: manifests nested as mappings, or written into strings.
  descend(node, inner, w, 0);
}

/** Fields only a kustomization has (a kind-less document with them is read as one). */
const KUSTOMIZATION_FIELDS = [
  "resources",
  "bases",
  "components",
  "secretGenerator",
  "configMapGenerator",
  "generators",
  "transformers",
  "namePrefix",
  "nameSuffix",
  "commonLabels",
  "images",
  "replacements",
];
const PATCH_FIELDS = ["patches", "patchesStrategicMerge", "patchesJson6902"];

/**
 * A document without `kind` that kustomize reads as a kustomization: in a file
 * named as kustomize looks for one, or saying so by its apiVersion, or with
 * patches beside another field only a kustomization has.
 */
function kindlessKustomization(node: MapNode, opts: KubeOptions): boolean {
  if (opts.kustomizationFile) return true;
  const api = getString(node, "apiVersion");
  if (api !== undefined) return api.startsWith("kustomize.config.k8s.io/");
  return (
    PATCH_FIELDS.some((f) => get(node, f) !== undefined) &&
    KUSTOMIZATION_FIELDS.some((f) => get(node, f) !== undefined)
  );
}

/** The mappings that hold kustomize patch fields, by the tool that applies them. */
function patchContainers(
  node: MapNode,
  kind: string | undefined,
  origin: Origin,
  h: Here,
  opts: KubeOptions,
): Array<[MapNode, Here]> {
  const out: Array<[MapNode, Here]> = [];
  const add = (n: TreeNode | undefined, at: Here) => {
    if (n?.kind === "map") out.push([n, at]);
  };
  const spec = get(node, "spec");
  const specAt = key(h, "spec");
  if (kind === undefined) {
    if (
      origin === "document" &&
      h.depth === 1 &&
      !hasKindKey(node) &&
      kindlessKustomization(node, opts)
    )
      add(node, h);
  } else if (kind === "Kustomization" || kind === "Component") {
    add(node, h);
    // Flux's Kustomization: spec.patches, and v1beta2's patchesStrategicMerge/patchesJson6902.
    add(spec, specAt);
  } else if (kind === "HelmRelease") {
    const renderers = get(spec, "postRenderers");
    if (renderers?.kind === "seq") {
      const at = key(specAt, "postRenderers");
      elements(renderers).forEach((r, i) => {
        if (r.kind === "map") add(get(r, "kustomize"), key(index(at, i), "kustomize"));
      });
    }
  } else if (kind === "Application" || kind === "ApplicationSet") {
    // Argo CD: spec.source(s)[].kustomize.patches, also in an ApplicationSet's template.
    const appSpec = kind === "Application" ? spec : get(get(spec, "template"), "spec");
    const appAt = kind === "Application" ? specAt : key(key(specAt, "template"), "spec");
    add(get(get(appSpec, "source"), "kustomize"), key(key(appAt, "source"), "kustomize"));
    const sources = get(appSpec, "sources");
    if (sources?.kind === "seq") {
      const at = key(appAt, "sources");
      elements(sources).forEach((s, i) => {
        if (s.kind === "map") add(get(s, "kustomize"), key(index(at, i), "kustomize"));
      });
    }
  }
  return out;
}

/** A `kind` key in any spelling (`Kind:`, `KIND:`): then the document says what it is. */
function hasKindKey(node: MapNode): boolean {
  return node.items.some((i) => i.kind === "item" && i.key.toLowerCase() === "kind");
}

/** patches, patchesStrategicMerge, patchesJson6902 of one container: strings holding objects or JSON 6902 operations. */
function kustomizePatches(container: MapNode, h: Here, w: Walk): void {
  for (const field of PATCH_FIELDS) {
    const list = get(container, field);
    if (list?.kind !== "seq") continue;
    const fieldAt = key(h, field);
    elements(list).forEach((entry, i) => {
      const at = index(fieldAt, i);
      if (entry.kind === "map" && getString(entry, "kind") !== undefined) {
        // patchesStrategicMerge may hold an inline object instead of a string.
        visit(entry, { ...at, opaque: true }, "patch", w);
        return;
      }
      const target = entry.kind === "map" ? get(entry, "target") : undefined;
      const targetKind = getString(target, "kind");
      const targetName = getString(target, "name");
      const patch = entry.kind === "map" ? get(entry, "patch") : entry;
      const patchAt = entry.kind === "map" ? key(at, "patch") : at;
      if (entry.kind === "map") w.seen.add(entry);
      if (patch?.kind === "map") {
        visit(
          asTargetKind(patch, targetKind, targetName),
          { ...patchAt, opaque: true },
          "patch",
          w,
        );
        return;
      }
      // Flux v1beta2 patchesJson6902: the operations as a list of mappings, not a string.
      if (patch?.kind === "seq") {
        w.seen.add(patch);
        if (targetKind === undefined || targetKind === "Secret") {
          const ops = jsonPatchSecret(patch, targetName);
          if (ops) visit(ops, { ...patchAt, opaque: true }, "patch", w);
        }
        return;
      }
      if (patch?.kind !== "leaf" || patch.type !== "str" || patch.str === undefined) return;
      const text = patch.str;
      if (!/[\n:{[]/.test(text) || h.strings >= MAX_STRING_NESTING) return; // a file path, not a patch
      w.seen.add(patch);
      const inStr = intoString(patchAt, patch);
      for (const doc of readManifests(text, w))
        visit(asTargetKind(doc, targetKind, targetName), inStr, "patch", w);
      if (targetKind === undefined || targetKind === "Secret") {
        const ops = jsonPatchSecret(readOps(text), targetName);
        if (ops) visit(ops, inStr, "patch", w);
      }
    });
  }
}

/**
 * A strategic-merge patch without `kind` applies to its target: against a
 * Secret target it is Secret data (`{kind: Secret, …the patch}`).
 */
function asTargetKind(
  doc: MapNode,
  targetKind: string | undefined,
  name: string | undefined,
): MapNode {
  if (targetKind !== "Secret" || hasKindKey(doc)) return doc;
  const items: MapItem[] = [{ kind: "item", key: "kind", value: str("Secret") }];
  if (get(doc, "apiVersion") === undefined)
    items.unshift({ kind: "item", key: "apiVersion", value: str("v1") });
  if (name && get(doc, "metadata") === undefined)
    items.push({
      kind: "item",
      key: "metadata",
      value: { kind: "map", items: [{ kind: "item", key: "name", value: str(name) }] },
    });
  return { kind: "map", items: [...items, ...doc.items], pos: doc.pos };
}

function isKyverno(node: MapNode): boolean {
  return (getString(node, "apiVersion") ?? "").startsWith("kyverno.io/");
}

/**
 * Kyverno `spec.rules[]`. A `generate` rule (and its `foreach[]`):
 * `apiVersion`, `kind`, `name`, `namespace` and `data` (the object's body)
 * describe an object Kyverno creates; read as that object, its values are the
 * file's own (selectors reach them). A `mutate` rule matching Secrets: its
 * `patchStrategicMerge` (also in `foreach[]`) is Secret content, its
 * `patchesJson6902` string operations on a Secret.
 */
function kyverno(node: MapNode, h: Here, w: Walk): void {
  const rules = get(get(node, "spec"), "rules");
  if (rules?.kind !== "seq") return;
  const rulesAt = key(key(h, "spec"), "rules");
  elements(rules).forEach((rule, i) => {
    if (rule.kind !== "map") return;
    const ruleAt = index(rulesAt, i);
    const gen = get(rule, "generate");
    if (gen?.kind === "map") {
      const genAt = key(ruleAt, "generate");
      generated(gen, undefined, genAt, w);
      const each = get(gen, "foreach");
      if (each?.kind === "seq") {
        const eachAt = key(genAt, "foreach");
        elements(each).forEach((e, n) => {
          if (e.kind === "map") generated(e, gen, index(eachAt, n), w);
        });
      }
    }
    const mutate = get(rule, "mutate");
    if (mutate?.kind === "map" && mutatesSecrets(rule, mutate)) {
      const mutateAt = key(ruleAt, "mutate");
      mutation(mutate, mutateAt, w);
      const each = get(mutate, "foreach");
      if (each?.kind === "seq") {
        const eachAt = key(mutateAt, "foreach");
        elements(each).forEach((e, n) => {
          if (e.kind === "map") mutation(e, index(eachAt, n), w);
        });
      }
    }
  });
}

/** Does the rule match Secrets (`match…resources.kinds`), or mutate existing Secrets (`targets`)? */
function mutatesSecrets(rule: MapNode, mutate: MapNode): boolean {
  const isSecret = (k: TreeNode) =>
    k.kind === "leaf" && k.type === "str" && /^(?:(?:[^/]*\/)?v1\/|\*\/)?Secret$/.test(k.str ?? "");
  const match = get(rule, "match");
  const filters: TreeNode[] = [];
  if (match) filters.push(match);
  for (const f of ["any", "all"]) {
    const list = get(match, f);
    if (list?.kind === "seq") filters.push(...elements(list));
  }
  for (const f of filters) {
    const kinds = get(get(f, "resources"), "kinds");
    if (kinds?.kind === "seq" && elements(kinds).some(isSecret)) return true;
  }
  const targets = get(mutate, "targets");
  return targets?.kind === "seq" && elements(targets).some((t) => isSecret(get(t, "kind") ?? t));
}

function mutation(spec: MapNode, h: Here, w: Walk): void {
  const smp = get(spec, "patchStrategicMerge");
  if (smp?.kind === "map")
    visit(asTargetKind(smp, "Secret", undefined), key(h, "patchStrategicMerge"), "mutate", w);
  const ops = get(spec, "patchesJson6902");
  if (ops?.kind === "leaf" && ops.type === "str" && ops.str && h.strings < MAX_STRING_NESTING) {
    w.seen.add(ops);
    const secret = jsonPatchSecret(readOps(ops.str), undefined);
    if (secret) visit(secret, intoString(key(h, "patchesJson6902"), ops), "mutate", w);
  }
}

function generated(spec: MapNode, parent: MapNode | undefined, h: Here, w: Walk): void {
  const data = get(spec, "data");
  if (data?.kind !== "map") return;
  w.seen.add(spec);
  const field = (k: string) => get(spec, k) ?? get(parent, k);
  const kind = field("kind");
  if (kind === undefined) return;
  const items: MapItem[] = [];
  const api = field("apiVersion");
  if (api) items.push({ kind: "item", key: "apiVersion", value: api });
  items.push({ kind: "item", key: "kind", value: kind });
  const md: MapItem[] = [];
  for (const k of ["name", "namespace"]) {
    const v = field(k);
    if (v) md.push({ kind: "item", key: k, value: v });
  }
  const dataMd = get(data, "metadata");
  for (const it of dataMd?.kind === "map" ? dataMd.items : [])
    if (it.kind === "item" && !md.some((m) => m.key === it.key)) md.push(it);
  items.push({ kind: "item", key: "metadata", value: { kind: "map", items: md } });
  for (const it of data.items)
    if (it.kind === "item" && !["apiVersion", "kind", "metadata"].includes(it.key)) items.push(it);
  // Selectors see the values under `data`; the message names the rule.
  visit(
    { kind: "map", items, pos: spec.pos },
    shownAs(key(h, "data"), pathOf(h).where),
    "generate",
    w,
  );
}

/**
 * A mapping nested in another object that is itself a manifest an applier
 * would create: apiVersion and kind set as strings, and a Secret's data (or a
 * List's items, or one of the extra kinds). A CRD schema (`kind: {type: …}`),
 * a reference (`{kind: Secret, name: …}`) or an ExternalSecret template is not.
 */
function isNestedManifest(n: MapNode, opts: KubeOptions): boolean {
  const api = getString(n, "apiVersion");
  const kind = getString(n, "kind");
  if (api === undefined || kind === undefined) return false;
  if (kind === "Secret")
    return api === "v1" && (get(n, "data")?.kind === "map" || get(n, "stringData")?.kind === "map");
  if (/List$/.test(kind)) return get(n, "items")?.kind === "seq";
  return opts.kinds?.includes(kind) === true;
}

/**
 * A `kind` key where YAML or JSON can put one: at a line's start (after any
 * line break go-yaml knows or a byte order mark, then indentation, `- ` or
 * `? ` indicators, anchors and tags) or after `{`, `[` or `,`; before its `:`
 * only space, line breaks and comments. Linear: the alternatives at each step
 * start with different characters.
 */
const KIND_KEY =
  /(?:^|[\n\r\u0085\u2028\u2029\ufeff{[,])[ \t]*(?:[-?][ \t]+)*(?:[&!]\S*[ \t]+)*["']?kind["']?(?:\s+#[^\n\r]*)*\s*:/i;

/**
 * Could this string be (or hold) a manifest? Proven not when it has no line
 * break or `{` (a manifest has more than one key), no `kind` key can be in it,
 * or it never says secret (nor an extra kind). Escapes and `!!binary` can
 * spell any text, so those strings are read; aliases can repeat a `kind`
 * written as a value, so with a `*` any `kind` counts.
 */
function mayBeManifest(text: string, opts: KubeOptions): boolean {
  if (text.length < 12 || text.length > MAX_EMBEDDED_BYTES) return false;
  if (!/[\n\r\u0085\u2028\u2029{]/.test(text)) return false;
  if (text.includes("\\") || (text.includes("!") && /binary/.test(text))) return true;
  const kindKey = text.includes("*") ? /kind/i.test(text) : KIND_KEY.test(text);
  return (
    kindKey &&
    (/secret/i.test(text) || (opts.kinds ?? []).some((k) => k !== "" && text.includes(k)))
  );
}

/** The walk below an object: nested manifests and manifests in strings; each node once. */
function descend(node: TreeNode, h: Here, w: Walk, level: number): void {
  if (level > DEFAULT_LIMITS.maxDepth) return;
  if (node.kind === "map") {
    for (const it of node.items) if (it.kind === "item") look(it.value, h, it.key, 0, w, level);
  } else if (node.kind === "seq") {
    let i = 0;
    for (const it of node.items) if (it.kind !== "comment") look(it, h, undefined, i++, w, level);
  }
}

/**
 * One child of a node descend() walks, under mapping key `k` (or at sequence index `i`). Where
 * it is (a Here) is built only for a child that can hold a manifest: most leaves cannot.
 */
function look(
  v: TreeNode,
  h: Here,
  k: string | undefined,
  i: number,
  w: Walk,
  level: number,
): void {
  if (w.seen.has(v)) return;
  if (v.kind === "map") {
    const at = k !== undefined ? key(h, k) : index(h, i);
    if (isNestedManifest(v, w.opts)) visit(v, at, "nested", w);
    else descend(v, at, w, level + 1);
  } else if (v.kind === "seq") {
    descend(v, k !== undefined ? key(h, k) : index(h, i), w, level + 1);
  } else if (v.kind === "leaf" && v.type === "str" && v.str !== undefined) {
    if (h.strings >= MAX_STRING_NESTING || !mayBeManifest(v.str, w.opts)) return;
    w.seen.add(v);
    const inStr = intoString(k !== undefined ? key(h, k) : index(h, i), v);
    for (const doc of readManifests(v.str, w)) visit(doc, inStr, "embedded", w);
  }
}

/**
 * The objects a string holds: YAML or JSON documents, or a list of them
 * (`- apiVersion: v1 …`, `[{…}]`). Each distinct text is parsed once.
 */
function readManifests(text: string, w: Walk): MapNode[] {
  const known = w.texts.get(text);
  if (known) return known;
  const t = text.trimStart();
  let docs = parseEmbedded(text, t.startsWith("{") ? "json" : "yaml");
  if (docs.length === 0 && (t.startsWith("-") || t.startsWith("["))) {
    const items = get(parseEmbedded(wrapAsItems(text), "yaml")[0], "items");
    docs = items?.kind === "seq" ? items.items.filter((i): i is MapNode => i.kind === "map") : [];
  }
  w.texts.set(text, docs);
  return docs;
}

/** `items:` with the text indented under it: a YAML/JSON list read as a mapping's value. */
function wrapAsItems(text: string): string {
  return `items:\n${text
    .split(/\r\n|\r|\n/)
    .map((l) => `  ${l}`)
    .join("\n")}\n`;
}

/** The JSON 6902 operations a patch string holds, if it holds a list. */
function readOps(text: string): TreeNode | undefined {
  return get(parseEmbedded(wrapAsItems(text), "yaml")[0], "items");
}

/** A sequence's elements, comments left out (indices as the API counts them). */
function elements(seq: SeqNode): TreeNode[] {
  return seq.items.filter((i): i is TreeNode => i.kind !== "comment");
}

function str(s: string): TreeNode {
  return { kind: "leaf", type: "str", str: s, plain: Buffer.from(s) };
}

/**
 * JSON 6902 operations (`- op: add\n  path: /data/x\n  value: …`) against a
 * Secret, as the Secret data they would write: `{kind: Secret, data: {x: …}}`.
 */
function jsonPatchSecret(ops: TreeNode | undefined, name: string | undefined): MapNode | undefined {
  if (ops?.kind !== "seq") return undefined;
  const fields = new Map<string, MapItem[]>();
  for (const op of ops.items) {
    if (op.kind !== "map") continue;
    const verb = getString(op, "op");
    const path = getString(op, "path");
    const value = get(op, "value");
    if ((verb !== "add" && verb !== "replace") || path === undefined || value === undefined)
      continue;
    const parts = path
      .split("/")
      .slice(1)
      .map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"));
    const field = parts[0];
    if (field !== "data" && field !== "stringData") continue;
    const list = fields.get(field) ?? [];
    if (parts.length === 1 && value.kind === "map") {
      for (const it of value.items) if (it.kind === "item") list.push(it);
    } else if (parts.length >= 2) {
      list.push({ kind: "item", key: parts.slice(1).join("."), keyPos: value.pos, value });
    }
    fields.set(field, list);
  }
  if (fields.size === 0) return undefined;
  const items: MapItem[] = [
    { kind: "item", key: "apiVersion", value: str("v1") },
    { kind: "item", key: "kind", value: str("Secret") },
  ];
  if (name) {
    items.push({
      kind: "item",
      key: "metadata",
      value: { kind: "map", items: [{ kind: "item", key: "name", value: str(name) }] },
    });
  }
  for (const [field, list] of fields)
    items.push({ kind: "item", key: field, value: { kind: "map", items: list } });
  return { kind: "map", items };
}

/** Parse a string holding YAML or JSON objects; nothing when it is not one. */
export function parseEmbedded(text: string, format: "yaml" | "json"): MapNode[] {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length > MAX_EMBEDDED_BYTES) return [];
  for (const f of format === "json" ? (["json", "yaml"] as const) : (["yaml"] as const)) {
    try {
      return parseFile(bytes, f, EMBEDDED_LIMITS).docs.map((d) => kubeView(d.root) as MapNode);
    } catch {
      // try the next reader
    }
  }
  return [];
}
