/** User-facing help text, one place. */

const COMMON = `Common options:
  -f, --format text|json|sarif   report format (default text)
  -o, --output FILE              write the report to FILE instead of stdout
                                 (\`-o -\` is stdout)
  -c, --config FILE              the .sops.yaml to use (default: found from the
                                 working directory upward, as sops finds it;
                                 also SOPS_CONFIG)
  -C, --cwd DIR                  run as if started in DIR
  -q, --quiet                    print nothing when there is nothing to report
      --no-color                 no colours (also NO_COLOR=1)
      --color                    colours even when stdout is not a terminal
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
  install                install the hooks (pre-commit, pre-merge-commit, pre-push)
                         where git runs them, and prove git runs them;
                         --server: the pre-receive hook of a bare repository
  uninstall              remove exactly what install added
  history [RANGE]        leak audit: every plaintext exposure ever committed
  updatekeys [PATH...]   re-wrap data keys after the rule's age keys changed

Examples:
  npx secret-guard install          # block plaintext Secrets on every commit
  npx secret-guard scan             # what the hook runs: the staged content
  npx secret-guard scan --all       # CI backstop over every tracked file
  npx secret-guard scan --range origin/main..HEAD --format sarif -o sg.sarif
  npx secret-guard explain flux/secrets/develop/backend-secrets.yaml

${COMMON}
Common options go before or after the command: \`secret-guard --format json scan\`.

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
  --push [--remote NAME]   what the pre-push hook runs: reads git's
                   "<local ref> <local sha> <remote ref> <remote sha>" lines on
                   stdin and judges every commit being pushed (new branches:
                   the commits on no remote-tracking ref of NAME), each with
                   its own .sops.yaml and .secret-guard.yaml; deletions skipped
  --receive        what the pre-receive hook runs: reads "<old> <new> <ref>"
                   lines and judges every new commit (not reachable from any
                   existing ref), each with its own policy
  --no-cache       judge every file afresh (also SECRET_GUARD_NO_CACHE=1). By
                   default staged, --all, --range and the push hooks remember
                   which git blobs were judged clean under which rule, settings
                   and guard version (hashes only, in
                   <git dir>/secret-guard/verdicts) and skip them next time; a
                   file with any finding is judged every time, and PATH files
                   are never cached

Rules: unencrypted, partially-encrypted, missing-sops-metadata,
secret-outside-policy, recipient-mismatch, encryption-removed, unparseable,
nothing-encrypted (warning), possible-credential (warning: a credential-looking
value in a file a broad rule covers but that need not be encrypted; a password in
a URL, a credential-named Secret annotation or Helm value, whatever the rule).

Examples:
  secret-guard scan
  secret-guard scan --all --format json
  secret-guard scan flux/secrets/
  secret-guard scan --range origin/main..HEAD --format sarif --output sg.sarif

${COMMON}
${EXIT}`,
  explain: `Usage: secret-guard explain PATH [options]

Shows which .sops.yaml applies, the path string sops matches, which creation
rule covers PATH (first match wins; with per-folder .sops.yaml files below the
working directory, the nearest one at or above PATH's folder), the selector,
whether the file must be encrypted and why (a Secret, sops metadata, a marked
name, a specific rule, mustEncrypt/strict; or a broad rule: Secret content
only), which values sops would encrypt and whether each one is, and the
verdict. Values are never shown.

Example:
  secret-guard explain flux/secrets/develop/backend-secrets.yaml

${COMMON}`,
  install: `Usage: secret-guard install [--hooks LIST] [--server] [--no-probe] [options]

Installs the hooks where git runs them: pre-commit (the index), pre-merge-commit
(what a merge is about to commit) and pre-push (every commit being pushed, also
those made with --no-verify). --hooks pre-commit,pre-push picks some.

  where     the folder git runs hooks from (core.hooksPath or .git/hooks); with
            husky 9 active (core.hooksPath .husky/_) a block in .husky/<hook>;
            a .husky/ folder git does not run gets the block too, and install
            says the hook git runs now is in .git/hooks
  foreign   a shell hook keeps its lines: the block goes at its top when it has
            an exit or exec anywhere, else at its end; a hook in another
            language is moved to <hook>.secret-guard-chained and run after the
            check; the pre-commit framework's hook is never edited: install
            exits 1 and prints the .pre-commit-config.yaml entry to add
  proof     each hook is then run once as git runs it (git hook run, with
            SECRET_GUARD_PROBE set: the block answers and exits before doing
            anything); one that does not answer is reported, exit 1.
            --no-probe skips this
  --server  inside a bare repository: hooks/pre-receive, which rejects a push
            whose new commits add plaintext Secret values
  --force   accepted for compatibility; install never needs it

The hooks find secret-guard in node_modules/.bin, then on PATH, then at
\`git config secret-guard.path\` (this copy, written by install; no committed
file holds a machine path). Without it they block and say how to install it.
Running install again changes nothing; \`secret-guard uninstall\` removes
exactly what it added.

Examples:
  npx secret-guard install
  npx secret-guard install --hooks pre-push
  cd /srv/git/team.git && secret-guard install --server

${COMMON}
Exit codes: 0 installed and proven to run, 1 refused or not running, 2 could not install.
`,
  uninstall: `Usage: secret-guard uninstall [--server] [options]

Removes what install added: the marked blocks (the rest of a foreign hook is
kept byte for byte), the hook files it created, a chained hook moved back, and
the secret-guard.path setting.

${COMMON}`,
  encrypt: `Usage: secret-guard encrypt PATH... [--engine auto|sops|native]

Encrypts each file in place with the creation rule that covers it. The sops
binary is used when it is on PATH; otherwise the native age engine (age-only
rules). Atomic: the original is untouched on any failure.

Options:
  --engine auto|sops|native   auto (default): sops when on PATH, else native

Example:
  secret-guard encrypt flux/secrets/develop/backend-secrets.yaml

${COMMON}`,
  verify: `Usage: secret-guard verify [PATH...] [--identity FILE] [--worktree]

Decrypts each encrypted file with the local age identities (SOPS_AGE_KEY,
SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, ~/.config/sops/age/keys.txt), checks the
MAC and compares the recipients with the rule, and names the identity (its
public recipient, never the key) that opened each file. A file the scan rules
flag (a value that is not an exact ENC marker: text around it, padding) is
reported with its findings and never shown as "MAC verified".

  (no PATH)         every tracked file a rule covers, as the index has it
  --worktree        the same files as they are on disk
  PATH...           these files on disk
  --identity FILE   only the identities in FILE (the cluster's sops-age key),
                    none from the environment or the default keys.txt

Example:
  secret-guard verify --identity ./cluster.agekey

${COMMON}`,
  new: `Usage: secret-guard new ENV NAME [options]

Creates flux/secrets/ENV/NAME.yaml, or edits it when it exists, like
\`sops edit\`: the template (or the decrypted Secret) opens in $VISUAL/$EDITOR
(else vi); saving and quitting encrypts it with the covering rule, an
unchanged or emptied file cancels. Nothing is asked afterwards. The Secret is
listed in the folder's kustomization.yaml. Editing keeps the ciphertexts of
unchanged values.

The plaintext lives only in a private folder outside the repository, in
memory where there is one ($XDG_RUNTIME_DIR, /dev/shm), removed on every exit
(also on Ctrl-C or a signal, which ends the editor too). vim, nvim, nano and
emacs are started without their history (viminfo, ShaDa), undo, swap and
backup files; for VS Code see the README.

Options:
  --from-env-file FILE    values from KEY=VALUE lines (no editor, no terminal)
  --from-file KEY=PATH    a value from a file's bytes (repeatable; KEY defaults
                          to the file name)
  --stdin                 KEY=VALUE lines from standard input
  -n, --namespace NS      metadata.namespace (default: ENV)
  -t, --type TYPE         the Secret type (default Opaque), e.g.
                          kubernetes.io/tls, kubernetes.io/dockerconfigjson,
                          kubernetes.io/basic-auth, kubernetes.io/ssh-auth
  --engine auto|sops|native   encryption engine for a new Secret
  -y, --yes               accepted for old scripts; nothing is asked anyway

Values never come from the command line itself (shell history, ps).

Examples:
  secret-guard new develop backend-secrets
  secret-guard new production tls --type kubernetes.io/tls \\
      --from-file tls.crt=./tls.crt --from-file tls.key=./tls.key
  secret-guard new develop api --from-env-file ./api.env

${COMMON}`,
  init: `Usage: secret-guard init [--env NAME]... [--age RECIPIENT]... [options]

Sets a repository up, or finishes setting it up; creates only what is missing
and says what it kept. Running it again has nothing to do (exit 0).

- Folders: --env, else the flux/secrets/<folder>/ folders that exist, else
  those .sops.yaml names, else develop, staging, production.
- .sops.yaml: an existing one is kept and its recipients are used (a folder it
  does not cover gets a rule appended); a new one has one rule per folder,
  encrypted_regex ^(data|stringData)$, for the cluster key and --age.
- The cluster key: a dedicated age identity, 0600, outside git (default
  ~/.config/secret-guard/<repo>-<hash>/age.agekey), and the one kubectl command
  that gives Flux exactly that identity.
- Each folder's kustomization.yaml, and the pre-commit hook (husky-aware).

Options:
  --env NAME             a folder under flux/secrets/ (repeatable or a,b,c)
  --age RECIPIENT        a teammate's personal age recipient, beside the
                         cluster key (repeatable or comma-separated)
  --cluster-key FILE     keep the cluster key in FILE (an existing one-identity
                         file is used as it is; inside the repository only if
                         git ignores it)
  --force                replace an existing .sops.yaml

Exit codes: 0 set up (or nothing to do), 1 a kept .sops.yaml leaves a folder
uncovered or lacks an --age recipient, 2 bad usage or an unreadable .sops.yaml.

Examples:
  secret-guard init
  secret-guard init --env dev --env prod --age age1...

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
Exposures recorded in .secret-guard.yaml \`resolved\` (commit, path, key,
sha256 of the value, reason) are listed as resolved and do not fail. Objects
the clone lacks (partial or shallow clone) are named by blob, path and commit;
the audit goes on without them.

Options:
  --all-refs       every branch, tag, remote-tracking ref and stash, instead of HEAD
  --no-cache       judge every file version afresh (also SECRET_GUARD_NO_CACHE=1);
                   by default versions judged clean before (same blob, rule,
                   settings, path and guard version) are skipped, as in scan

Examples:
  secret-guard history
  secret-guard history origin/main~200..origin/main --format json
  SOPS_AGE_KEY_FILE=cluster.agekey secret-guard history --all-refs --format sarif -o leaks.sarif

${COMMON}
Exit codes: 0 no open exposure, 1 exposures found (not all resolved), 2 could
not check (including objects missing from the repository).
`,
  updatekeys: `Usage: secret-guard updatekeys [PATH...] [--dry-run] [--rotate] [options]

After the age recipients of a creation rule change, re-wraps each covered
file's data key for the rule's current recipients. A local age identity must
open the file; values, MAC and lastmodified are untouched, and recipients that
stay keep their enc block. With no PATH, every tracked encrypted file that a
rule covers.

Options:
  --dry-run        show the recipients that would be added and removed; write nothing
  --rotate         after a key compromise, like \`sops rotate\`: a new data key, every
                   value re-encrypted, the MAC recomputed, the key wrapped for the
                   rule's recipients

Examples:
  secret-guard updatekeys --dry-run
  SOPS_AGE_KEY_FILE=old.agekey secret-guard updatekeys flux/secrets/production/
  secret-guard updatekeys --rotate flux/secrets/production/

${COMMON}`,
};

export function helpFor(command: string): string {
  return COMMANDS[command] ?? HELP;
}
