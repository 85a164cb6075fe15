import type { Finding } from "../types.js";

/** What every report format renders. */
export interface Report {
  tool: "secret-guard";
  version: string;
  /** What was scanned: `staged`, `all`, `range`, `paths`, `verify`, `history`, ... */
  mode: string;
  findings: Finding[];
  summary: {
    filesScanned: number;
    errors: number;
    warnings: number;
    /** Files not judged, by reason (symlink, submodule, ignored, …); only when any were. */
    skipped?: Record<string, number>;
  };
  /** Extra lines for the text format only (e.g. the `.git/objects` note); never in json or sarif. */
  notes?: string[];
  /**
   * Text format only: replaces the one command that fixes every staged file (`scan --fix`),
   * e.g. `git add -- <files> && npx secret-guard scan --fix` after `git commit -a`.
   */
  fixAll?: string;
}
