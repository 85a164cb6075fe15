/**
 * The bypass corpus (test/bypass/): one file per class and spelling of a way
 * plaintext once got past the guard, with the rule that must block it and
 * the path it is committed at (cases.json); judged under test/bypass/sops.yaml.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const BYPASS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "bypass");

export interface BypassCase {
  name: string;
  /** The rule id that must block it. */
  rule: string;
  /** Repository path it is committed at. */
  path: string;
  /** The issue #12 class it belongs to. */
  class: string;
  bytes: Buffer;
}

export const BYPASS_POLICY = readFileSync(path.join(BYPASS, "sops.yaml"), "utf8");

/** Files in the corpus folder (cases.json and sops.yaml excluded). */
export function bypassFiles(): string[] {
  return readdirSync(BYPASS)
    .filter((f) => f !== "cases.json" && f !== "sops.yaml")
    .sort();
}

export function bypassCases(): BypassCase[] {
  const raw = JSON.parse(readFileSync(path.join(BYPASS, "cases.json"), "utf8")) as Record<
    string,
    { rule: string; path?: string; class?: string }
  >;
  return Object.entries(raw).map(([name, c]) => ({
    name,
    rule: c.rule,
    path: c.path ?? `flux/secrets/develop/${name}`,
    class: c.class ?? "?",
    bytes: readFileSync(path.join(BYPASS, name)),
  }));
}

/** Every canary in the corpus starts with this; no output may contain it. */
export const BYPASS_CANARY = "canary-c";
