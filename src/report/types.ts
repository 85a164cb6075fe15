import type { Finding } from "../types.js";

/** What every report format renders. */
export interface Report {
  tool: "secret-guard";
  version: string;
  mode: string;
  findings: Finding[];
  summary: { filesScanned: number; errors: number; warnings: number };
  /** Extra lines for the text format only (never part of json/sarif). */
  notes?: string[];
}
