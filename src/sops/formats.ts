import type { Format } from "../types.js";

/**
 * The store sops picks from a file name: it looks at the suffix only
 * (`.yaml`/`.yml`, `.json`, `.env`, `.ini`, anything else is binary), so
 * `secret.yaml.tmp` is binary.
 */
export function formatForPath(path: string): Format {
  const lower = path.toLowerCase();
  if (lower.endsWith(".yaml") || lower.endsWith(".yml")) return "yaml";
  if (lower.endsWith(".json")) return "json";
  if (lower.endsWith(".env")) return "dotenv";
  if (lower.endsWith(".ini")) return "ini";
  return "binary";
}
