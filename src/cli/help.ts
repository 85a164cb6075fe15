/** User-facing help text, one place. */

const COMMON = `Common options:
  -f, --format text|json|sarif   report format (default text)
  -o, --output FILE              write the report to FILE instead of stdout
  -c, --config FILE              the .sops.yaml to use (default: found from the
                                 working directory upward, as sops finds it;
                                 also SOPS_CONFIG)
  -C, --cwd DIR                  run as if started in DIR
  -q, --quiet                    print nothing when there is nothing to report
      --no-color                 no colours (also NO_COLOR=1)
      --debug                    what the guard did on stderr: config files, git commands,
                                 files judged or skipped, timings, stack traces (never values)
  -h, --help                     this help
  -v, --version                  the version
`;

const EXIT = `Exit codes:
  0  no error finding
  1  at least one error finding (or a fix was declined or failed)
  2  could not check: bad usage, not a git repository, bad .sops.yaml
`;

export const HELP = `secret-guard: stop plaintext Kubernetes Secrets before they are committed.

Usage: secret-guard <command> [options]

Commands:
  scan [PATH...]         judge staged files (default), --all tracked files,
                         --range A..B, or the given files on disk
  explain PATH           which .sops.yaml rule covers PATH, which values must be
                         encrypted, and the verdict
  encrypt PATH...        encrypt files in place with the rule that covers them
  verify [PATH...]       prove the cluster can decrypt: local age identity, MAC,
                         recipients
  new ENV NAME           create or edit flux/secrets/ENV/NAME.yaml safely
  init                   set a repository up: .sops.yaml, folders, hook
  install                install the pre-commit hook (husky-aware, idempotent)
  history [RANGE]        leak audit: every plaintext exposure ever committed
  updatekeys [PATH...]   re-wrap data keys after the rule's age keys changed

Examples:
  npx secret-guard install          # block plaintext Secrets on every commit
  npx secret-guard scan             # what the hook runs: the staged content
  npx secret-guard scan --all       # CI backstop over every tracked file
  npx secret-guard scan --range origin/main..HEAD --format sarif -o sg.sarif
  npx secret-guard explain flux/secrets/develop/backend-secrets.yaml

${COMMON}
${EXIT}
Run \`secret-guard <command> --help\` for a command's options.
`;

const COMMANDS: Record<string, string> = {
  scan: `Usage: secret-guard scan [--all | --range A..B | PATH...] [--fix] [options]

Judges files by the .sops.yaml creation rules, exactly as sops would decide
which values must be encrypted, and reports every plaintext value by key name
(never the value).

  (no argument)    the staged (index) content of added, copied, modified and
                   renamed files; honours GIT_INDEX_FILE, so \`git commit -a\`
                   and \`git commit PATH\` are judged on what they will commit
  --all            the index content of every tracked file (CI backstop)
  --range A..B     every file version introduced by the commits in A..B
  PATH...          these files as they are on disk; directories are walked
  --fix            encrypt the files whose findings are fixable and re-stage
                   them (staged mode) or rewrite them (PATH mode)
  --engine auto|sops|native   encryption engine for --fix (default auto)
  --hook           set by the pre-commit hook: staged mode, commit wording
  --no-cache       judge every file afresh (also SECRET_GUARD_NO_CACHE=1). By
                   default staged, --all and --range remember which git blobs
                   were judged clean under which rule, settings and guard
                   version (hashes only, in <git dir>/secret-guard/verdicts)
                   and skip them next time; a file with any finding is judged
                   every time, and PATH files are never cached

Rules: unencrypted, partially-encrypted, missing-sops-metadata,
secret-outside-policy, recipient-mismatch, encryption-removed, unparseable,
nothing-encrypted (warning).

Examples:
  secret-guard scan
  secret-guard scan --all --format json
  secret-guard scan flux/secrets/
  secret-guard scan --range origin/main..HEAD --format sarif --output sg.sarif

${COMMON}
${EXIT}`,
  explain: `Usage: secret-guard explain PATH [options]

Shows which .sops.yaml applies, the path string sops matches, which creation
rule covers PATH (first match wins), the selector, which values sops would
encrypt and whether each one is, and the verdict. Values are never shown.

Example:
  secret-guard explain flux/secrets/develop/backend-secrets.yaml

${COMMON}`,
  install: `Usage: secret-guard install [--force] [options]

Installs the pre-commit hook. With husky (a .husky/ folder or core.hooksPath
set by husky) the line is added to .husky/pre-commit; otherwise the hook is
written to the hooks folder git uses (core.hooksPath or .git/hooks). Running
it again changes nothing. An existing foreign hook is kept and secret-guard is
added to it.

The hook finds secret-guard in node_modules/.bin, then on PATH; if it cannot
find it, it blocks the commit and says how to install it.

Example:
  npx secret-guard install

${COMMON}`,
  encrypt: `Usage: secret-guard encrypt PATH... [--engine auto|sops|native]

Encrypts each file in place with the creation rule that covers it. The sops
binary is used when it is on PATH; otherwise the native age engine (age-only
rules). Atomic: the original is untouched on any failure.

Example:
  secret-guard encrypt flux/secrets/develop/backend-secrets.yaml

${COMMON}`,
  verify: `Usage: secret-guard verify [PATH...]

Decrypts each encrypted file with the local age identities (SOPS_AGE_KEY,
SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, ~/.config/sops/age/keys.txt), checks the
MAC and compares the recipients with the rule. With no PATH, every tracked
file that a rule covers.

Example:
  SOPS_AGE_KEY_FILE=~/.config/sops/age/keys.txt secret-guard verify

${COMMON}`,
  new: `Usage: secret-guard new ENV NAME [--from-env-file FILE | --from-file KEY=PATH... | --stdin]

Creates flux/secrets/ENV/NAME.yaml from a template in $VISUAL/$EDITOR, encrypts
it with the covering rule and lists it in the folder's kustomization.yaml. The
plaintext lives only in a private temporary folder outside the repository and
is removed on every exit path. An existing secret opens an edit flow.

Example:
  secret-guard new develop backend-secrets

${COMMON}`,
  init: `Usage: secret-guard init [--age RECIPIENT] [--env NAME]... [--force]

Sets a repository up: .sops.yaml with one rule per flux/secrets/<folder>/,
each folder with a kustomization.yaml, and the pre-commit hook.

Example:
  secret-guard init --age age1...

${COMMON}`,
  history: `Usage: secret-guard history [REV-RANGE] [--all-refs] [options]

Leak audit. Walks every commit (default: everything reachable from HEAD;
--all-refs: every ref), judges each file version once with the .sops.yaml of
its own commit, and reports one exposure per plaintext value: the path(s), the
first and last commit that carried it, whether HEAD still does, whether it was
pushed (reachable from remote-tracking refs: treat it as compromised), and its
rotation status against the encrypted Secret at HEAD (NOT ROTATED, rotated,
removed, unknown without a local age identity). Values are compared through
hashes in memory; none is ever printed. The runbook follows the findings.

  --all-refs       every ref instead of HEAD
  --no-cache       judge every file version afresh (also SECRET_GUARD_NO_CACHE=1);
                   by default versions judged clean before (same blob, rule,
                   settings, path and guard version) are skipped, as in scan

Examples:
  secret-guard history
  secret-guard history origin/main~200..origin/main --format json
  SOPS_AGE_KEY_FILE=~/.config/sops/age/keys.txt secret-guard history --all-refs --format sarif -o leaks.sarif

${COMMON}
Exit codes: 0 no exposure, 1 exposures found, 2 could not check.
`,
  updatekeys: `Usage: secret-guard updatekeys [PATH...] [--dry-run] [options]

After the age recipients of a creation rule change, re-wraps each covered
file's data key for the rule's current recipients. A local age identity must
open the file; values, MAC and lastmodified are untouched, and recipients that
stay keep their enc block. With no PATH, every tracked encrypted file that a
rule covers. --dry-run shows the recipients that would be added and removed.

Examples:
  secret-guard updatekeys --dry-run
  SOPS_AGE_KEY_FILE=old.agekey secret-guard updatekeys flux/secrets/production/

${COMMON}`,
};

export function helpFor(command: string): string {
  return COMMANDS[command] ?? HELP;
}
