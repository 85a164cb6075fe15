/**
 * The text `secret-guard install` puts into hook files, and the edits it makes
 * to them (pure: strings in, strings out; install.ts does the file system).
 *
 * One marked block per hook file. It finds secret-guard in ./node_modules/.bin,
 * then on PATH, then at `git config secret-guard.path` (this machine's copy,
 * kept in .git/config, never in a committed file), and blocks when it finds
 * none. With SECRET_GUARD_PROBE set it only reports that git reached it and
 * exits 0: that is how install proves git runs the hook, without running the
 * rest of it.
 */

export const MARK_BEGIN = "# >>> secret-guard >>>";
export const MARK_END = "# <<< secret-guard <<<";
/** First comment line of a hook file install created (uninstall deletes such a file). */
export const CREATED_HEADER = "# secret-guard hook, created by `secret-guard install`";
/** Suffix of a non-shell foreign hook that install moved aside and chains to. */
export const CHAINED_SUFFIX = ".secret-guard-chained";
/** The probe's marker line (on stderr: git sends hook output there). */
export const PROBE_MARK = "secret-guard-probe:";

export type HookName = "pre-commit" | "pre-merge-commit" | "pre-push" | "pre-receive";
export const CLIENT_HOOKS: readonly HookName[] = ["pre-commit", "pre-merge-commit", "pre-push"];

const PURPOSE: Record<HookName, { does: string; what: string }> = {
  "pre-commit": { does: "blocks commits that would add plaintext Secret values", what: "commit" },
  "pre-merge-commit": {
    does: "blocks merge commits that would add plaintext Secret values",
    what: "merge",
  },
  "pre-push": {
    does: "blocks pushes whose commits add plaintext Secret values (also commits made with --no-verify)",
    what: "push",
  },
  "pre-receive": {
    does: "rejects pushes whose new commits add plaintext Secret values",
    what: "push",
  },
};

/**
 * The commit hooks' staged listing, run by git while Node starts and handed to secret-guard
 * on stdin (with SECRET_GUARD_STAGED_FD=0): exactly the diff-index call src/sources/staged.ts
 * makes, against HEAD's commit, then a trailer naming that commit, written only when both git
 * calls exited 0. The function itself always succeeds: under `set -o pipefail` (a foreign
 * hook's setting) a failed listing would otherwise fail the commit, where the guard simply
 * asks git itself. secret-guard takes the listing only when the trailer names the commit it
 * compares with; else (no trailer, no commit yet, another one) it asks git. hooks/pre-commit
 * holds the same text (test/e2e/staged-listing.test.ts).
 */
export const LISTING_FUNCTION = `secret_guard_listing() {
  secret_guard_head=$(git rev-parse -q --verify 'HEAD^{commit}' 2>/dev/null) &&
    git -c core.quotepath=false diff-index --cached -z --raw --no-abbrev -M -C --diff-filter=ACDMRT "$secret_guard_head" -- 2>/dev/null &&
    printf '\\000secret-guard-listing-end %s\\000' "$secret_guard_head" || true
}
`;

/** The command each hook runs; the push hooks read git's ref lines and hand them on. */
/** The secret-guard command line a hook runs, as its comment names it. */
function commandOf(hook: HookName): string {
  return hook === "pre-push"
    ? "secret-guard scan --push --remote <remote>"
    : hook === "pre-receive"
      ? "secret-guard scan --receive"
      : "secret-guard scan --hook";
}

function body(hook: HookName): string {
  switch (hook) {
    case "pre-commit":
    case "pre-merge-commit":
      return `${LISTING_FUNCTION}secret_guard_listing | (SECRET_GUARD_STAGED_FD=0 && export SECRET_GUARD_STAGED_FD && secret_guard scan --hook) || exit $?\n`;
    case "pre-push":
    case "pre-receive": {
      const mode = hook === "pre-push" ? 'scan --push --remote "$1"' : "scan --receive";
      // Read the ref lines once, judge them, then give them back as stdin to whatever
      // follows in this file (a foreign hook reads them too).
      return `secret_guard_refs=$(cat)
printf '%s\\n' "$secret_guard_refs" | secret_guard ${mode} || exit $?
exec 0<<SECRET_GUARD_REFS
$secret_guard_refs
SECRET_GUARD_REFS
`;
    }
  }
}

/** The marked block for `hook`; `chainTo` ends it by handing over to a moved-aside hook. */
export function hookBlock(hook: HookName, chainTo?: string): string {
  const p = PURPOSE[hook];
  return `${MARK_BEGIN}
# secret-guard ${p.does}: runs \`${commandOf(hook)}\`.
# Added by \`secret-guard install\`; \`secret-guard uninstall\` removes it.
secret_guard() {
  if [ -x ./node_modules/.bin/secret-guard ]; then
    ./node_modules/.bin/secret-guard "$@"
  elif command -v secret-guard >/dev/null 2>&1; then
    secret-guard "$@"
  else
    SECRET_GUARD_FALLBACK=$(git config --get secret-guard.path 2>/dev/null || true)
    if [ -n "$SECRET_GUARD_FALLBACK" ] && [ -f "$SECRET_GUARD_FALLBACK" ] && command -v node >/dev/null 2>&1; then
      node "$SECRET_GUARD_FALLBACK" "$@"
    else
      echo "secret-guard: not found (looked in ./node_modules/.bin, on PATH and at git config secret-guard.path); ${p.what} blocked." >&2
      echo "  install it: npm install --save-dev secret-guard   (or: npm install -g secret-guard)" >&2
      return 1
    fi
  fi
}
if [ -n "\${SECRET_GUARD_PROBE:-}" ]; then
  secret_guard_version=$(secret_guard --version) || exit 1
  echo "${PROBE_MARK} ${hook} $secret_guard_version" >&2
  exit 0
fi
${body(hook)}${chainTo ? `exec "$0${CHAINED_SUFFIX}" "$@"\n` : ""}${MARK_END}
`;
}

/** A hook file of our own (nothing else in it). */
export function createdHook(hook: HookName, shebang = true, chainTo?: string): string {
  return `${shebang ? "#!/bin/sh\n" : ""}${CREATED_HEADER} (${hook}).\n${hookBlock(hook, chainTo)}`;
}

/** `text` without our block (and the blank line we put before it), or undefined if none. */
export function withoutBlock(text: string): string | undefined {
  const start = text.indexOf(MARK_BEGIN);
  const end = text.indexOf(MARK_END, start);
  if (start === -1 || end === -1) return undefined;
  let after = text.slice(end + MARK_END.length);
  if (after.startsWith("\n")) after = after.slice(1);
  let before = text.slice(0, start);
  if (before.endsWith("\n\n")) before = before.slice(0, -1);
  return before + after;
}

/** The interpreter a hook's `#!` line names (`sh`, `bash`, `python3`...), or undefined. */
export function interpreter(text: string): string | undefined {
  const m = /^#!\s*(\S+)(?:[ \t]+(\S+))?/.exec(text);
  if (!m) return undefined;
  const prog = m[1]!.slice(m[1]!.lastIndexOf("/") + 1);
  return prog === "env" && m[2] ? m[2] : prog;
}

/** A hook git would run through a POSIX shell (our block is shell). No `#!`: git uses sh. */
export function isShellHook(text: string): boolean {
  const i = interpreter(text);
  return i === undefined || ["sh", "bash", "dash", "ksh", "zsh", "ash", "busybox"].includes(i);
}

/** The pre-commit framework's generated hook (which `pre-commit install` rewrites). */
export function isPreCommitFramework(text: string): boolean {
  return (
    /File generated by pre-commit: https:\/\/pre-commit\.com/.test(text) ||
    text.includes("138fd403232d2ddd5efb44317e38bf03")
  );
}

/** True for a file that only install wrote (its header, our block, blank lines). */
export function isOnlyOurs(text: string): boolean {
  const rest = withoutBlock(text);
  if (rest === undefined) return false;
  return rest
    .split("\n")
    .every(
      (l) =>
        l.trim() === "" ||
        l === "#!/bin/sh" ||
        l.startsWith(CREATED_HEADER) ||
        l.startsWith("# secret-guard pre-commit hook"),
    );
}

/** Does the shell text (outside our block) contain an `exit` or `exec` anywhere? */
export function mayStopEarly(text: string): boolean {
  const rest = withoutBlock(text) ?? text;
  return rest
    .split("\n")
    .some((l) => !/^\s*#/.test(l) && /(^|[\s;&|(){}`])(exit|exec)(\s|;|$)/.test(l));
}

/**
 * Put `block` into a foreign shell hook where it runs. A hook that may stop early (an `exit`
 * or `exec` anywhere, like the pre-commit framework's `exec …` or a hook ending in `exit 0`)
 * gets it at the top, after the `#!` line and the comments that open the file, so nothing of
 * the foreign hook can skip it; a hook that always runs to its end gets it appended, after
 * what it does. An existing block is taken out first (an older install may have appended it).
 */
export function placeBlock(current: string, block: string): { text: string; at: "top" | "end" } {
  const base = withoutBlock(current) ?? current;
  if (mayStopEarly(base)) {
    const lines = base.split("\n");
    let i = 0;
    if (lines[0]?.startsWith("#!")) i = 1;
    while (i < lines.length && /^\s*#/.test(lines[i]!) && !lines[i]!.startsWith("#!")) i++;
    const head = lines.slice(0, i).join("\n");
    const tail = lines.slice(i).join("\n");
    return { text: `${head}${head ? "\n" : ""}${block}${tail}`, at: "top" };
  }
  const sep = base === "" || base.endsWith("\n") ? "" : "\n";
  return { text: `${base}${sep}${base.trim() ? "\n" : ""}${block}`, at: "end" };
}
