/**
 * The template-aware reader. A Helm chart template, a Jinja/Ansible or
 * gomplate file is not YAML until it is rendered, yet it may hold a literal
 * secret beside its template expressions. When a YAML file fails to parse and
 * carries template actions, the judgement reads it through here instead:
 *
 *  - a line holding only control actions (`{{- if … }}`, `{{ end }}`,
 *    `{{- include … | nindent 4 }}`, `{% for %}`, `{# … #}`) is blanked;
 *  - an inline `{{ … }}` becomes a marker scalar that the exemption reads as
 *    "one template expression" (TEMPLATE_MARK), or, when the expression
 *    carries a literal (`{{ "x" }}`, `| default "x"`), a marker that stays
 *    plaintext (TEMPLATE_LITERAL_MARK);
 *  - `if`/`else` branches that define the same key twice are read as two
 *    variants (first branches, last branches), each judged.
 * Line numbers are kept, so findings point at the template's own lines.
 */
import { isTemplateOnly } from "./exempt.js";

/** Stands for one template expression without a literal: exempt. */
export const TEMPLATE_MARK = "\u27e6tpl\u27e7";
/** Stands for a template expression that carries a literal value: plaintext. */
export const TEMPLATE_LITERAL_MARK = "\u27e6tpl-literal\u27e7";

const ACTION = /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}|\{#[\s\S]*?#\}/g;

/** Does the text hold template actions at all? */
export function hasTemplateActions(text: string): boolean {
  return /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/.test(text);
}

type Control = "open" | "else" | "end" | "other";

function controlOf(action: string): Control {
  const body = action
    .slice(2, -2)
    .replace(/^[-+]?\s*/, "")
    .trimEnd();
  if (action.startsWith("{#") || body.startsWith("/*")) return "other";
  if (/^(if|with|range|define|block)\b/.test(body) && action.startsWith("{{")) return "open";
  if (/^(if|for|macro|block|with|call|filter|raw)\b/.test(body) && action.startsWith("{%"))
    return "open";
  if (/^(else|elif)\b/.test(body)) return "else";
  if (/^end/.test(body)) return "end";
  return "other";
}

interface Line {
  text: string;
  /** Per enclosing block, outermost first: [block id, branch index]. */
  branches: Array<[number, number]>;
}

/**
 * The readable variants of a templated text (one or two), each with exactly the
 * original's line count. Undefined when the text has no template action.
 */
export function templateVariants(text: string): string[] | undefined {
  if (!hasTemplateActions(text)) return undefined;
  // Replace actions; standalone ones (only whitespace around them on their lines) drive branches.
  const out: Line[] = [];
  const stack: Array<[number, number]> = [];
  const branchCount = new Map<number, number>();
  let nextId = 0;
  let cur = "";
  let curBranches: Array<[number, number]> = [];
  let lineHasContent = false;
  const flush = () => {
    out.push({ text: cur, branches: curBranches });
    cur = "";
    curBranches = [...stack];
    lineHasContent = false;
  };
  curBranches = [];
  let last = 0;
  ACTION.lastIndex = 0;
  const pieces: Array<{ text: string } | { action: string }> = [];
  for (let m = ACTION.exec(text); m; m = ACTION.exec(text)) {
    if (m.index > last) pieces.push({ text: text.slice(last, m.index) });
    pieces.push({ action: m[0] });
    last = m.index + m[0].length;
  }
  if (last < text.length) pieces.push({ text: text.slice(last) });

  // Which actions stand alone on their line (only blanks and other actions around them).
  const blank = (t: string) => t.trim() === "";
  const standalone = pieces.map((p, i) => {
    if (!("action" in p)) return false;
    for (let j = i - 1; j >= 0; j--) {
      const q = pieces[j]!;
      if (!("text" in q)) continue;
      const nl = q.text.lastIndexOf("\n");
      if (!blank(nl === -1 ? q.text : q.text.slice(nl + 1))) return false;
      if (nl !== -1) break;
    }
    for (let j = i + 1; j < pieces.length; j++) {
      const q = pieces[j]!;
      if (!("text" in q)) continue;
      const nl = q.text.indexOf("\n");
      if (!blank(nl === -1 ? q.text : q.text.slice(0, nl))) return false;
      if (nl !== -1) break;
    }
    return true;
  });

  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i]!;
    if ("text" in p) {
      const parts = p.text.split("\n");
      for (let k = 0; k < parts.length; k++) {
        if (k > 0) flush();
        cur += parts[k];
        if (parts[k]!.trim() !== "") lineHasContent = true;
      }
      continue;
    }
    const action = p.action;
    const newlines = action.split("\n").length - 1;
    const ctl = controlOf(action);
    if (ctl === "open") {
      const id = nextId++;
      stack.push([id, 0]);
      branchCount.set(id, 1);
    } else if (ctl === "else" && stack.length > 0) {
      const [id, b] = stack.pop()!;
      stack.push([id, b + 1]);
      branchCount.set(id, b + 2);
    } else if (ctl === "end" && stack.length > 0) {
      stack.pop();
    }
    if (standalone[i] && (ctl !== "other" || action.startsWith("{{") || action.startsWith("{%"))) {
      // A control line, or an action rendering a whole block (`toYaml … | nindent`): blank it.
      for (let k = 0; k < newlines; k++) flush();
      if (!lineHasContent) curBranches = [...stack];
      continue;
    }
    if (ctl !== "other" || action.startsWith("{#")) {
      for (let k = 0; k < newlines; k++) flush();
      continue;
    }
    const mark = action.startsWith("{{")
      ? isTemplateOnly(action.replace(/\s+/g, " "))
        ? TEMPLATE_MARK
        : TEMPLATE_LITERAL_MARK
      : TEMPLATE_MARK;
    cur += mark;
    lineHasContent = true;
    for (let k = 0; k < newlines; k++) flush();
  }
  out.push({ text: cur, branches: curBranches });

  const render = (pick: (id: number) => number) =>
    out.map((l) => (l.branches.every(([id, b]) => b === pick(id)) ? l.text : "")).join("\n");
  const first = render(() => 0);
  const lastV = render((id) => (branchCount.get(id) ?? 1) - 1);
  return first === lastV ? [first] : [first, lastV];
}

/** A value made of template markers (and punctuation/space only): one rendered expression. */
export function isTemplateMarked(text: string): boolean {
  const t = text.trim();
  if (!t.includes(TEMPLATE_MARK) || t.includes(TEMPLATE_LITERAL_MARK)) return false;
  return /^[\s/:._@,-]*$/.test(t.split(TEMPLATE_MARK).join(""));
}
