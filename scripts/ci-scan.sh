#!/usr/bin/env bash
# The GitHub Action's scan (action.yml runs it; tests drive it with the
# environment GitHub gives). It decides what to scan from the event, makes
# sure a shallow checkout holds the whole range (deepening it, or failing
# with a clear message: never a silently narrower scan), then runs this
# revision's own secret-guard: a readable report in the log and SARIF.
#
# Environment (GitHub's): GITHUB_EVENT_NAME, GITHUB_EVENT_PATH (the event JSON:
# before/after, pull_request.base.sha/head.sha, repository.default_branch),
# GITHUB_SHA, GITHUB_BASE_REF, GITHUB_OUTPUT.
# The action's inputs: SG_MODE (auto|all|range), SG_RANGE, SG_SARIF,
# SG_REMOTE (default origin). SG_BIN: the secret-guard to run (default: this
# checkout's bin/secret-guard.js).
# Writes status=<exit code> and range=<what was scanned> to GITHUB_OUTPUT;
# exits 0 after a scan (the action's last step fails the job on the status),
# 2 when it could not check.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=${SG_BIN:-"$here/../bin/secret-guard.js"}
remote=${SG_REMOTE:-origin}
mode=${SG_MODE:-auto}
sarif=${SG_SARIF:-secret-guard.sarif}
out=${GITHUB_OUTPUT:-/dev/null}
event=${GITHUB_EVENT_NAME:-}
zero='^0+$'

fail() {
  echo "secret-guard: $*" >&2
  echo "status=2" >>"$out"
  exit 2
}

# One field of the event JSON (dotted path), empty when absent.
field() {
  [ -n "${GITHUB_EVENT_PATH:-}" ] && [ -f "$GITHUB_EVENT_PATH" ] || return 0
  node -e '
    const v = process.argv[2].split(".").reduce((o, k) => (o == null ? undefined : o[k]),
      JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")));
    if (typeof v === "string") process.stdout.write(v);
  ' "$GITHUB_EVENT_PATH" "$1"
}

have() { git cat-file -e "$1^{commit}" 2>/dev/null; }

# Bring a commit in when the checkout lacks it.
fetch_commit() {
  have "$1" && return 0
  git fetch --no-tags --quiet --depth=1 "$remote" "$1" 2>/dev/null || true
  have "$1"
}

# Shallow boundary commits inside the walk: history there is cut, so the walk is incomplete.
cut_in() {
  local shallow
  shallow=$(git rev-parse --git-path shallow)
  [ -s "$shallow" ] || return 1
  # shellcheck disable=SC2086
  git rev-list "$@" | grep -qxFf "$shallow"
}

# Deepen until the walk of "$@" no longer reaches the shallow boundary.
complete_history() {
  local n
  for n in 50 500 5000; do
    cut_in "$@" || return 0
    echo "secret-guard: shallow checkout: fetching $n more commits of history" >&2
    git fetch --no-tags --quiet --deepen="$n" "$remote" "${wants[@]}" 2>/dev/null || break
  done
  cut_in "$@" || return 0
  echo "secret-guard: shallow checkout: fetching the whole history" >&2
  git fetch --no-tags --quiet --unshallow "$remote" "${wants[@]}" 2>/dev/null || true
  if cut_in "$@"; then
    fail "the checkout is shallow and the history of $* could not be completed; use actions/checkout with fetch-depth: 0"
  fi
}

if [ "$mode" = auto ]; then
  case "$event" in
    pull_request | pull_request_target | push) mode=range ;;
    *) mode=all ;;
  esac
fi

wants=()
revs=()
case "$mode" in
  range)
    if [ -n "${SG_RANGE:-}" ]; then
      base=${SG_RANGE%%..*}
      head=${SG_RANGE##*..}
      [ "$base" != "$SG_RANGE" ] || fail "range must be A..B (got \"$SG_RANGE\")"
    else
      case "$event" in
        pull_request | pull_request_target)
          base=$(field pull_request.base.sha)
          # pull_request: GITHUB_SHA is the test merge commit (first parent: the base);
          # pull_request_target checks out the base: take the pull request's head.
          if [ "$event" = pull_request_target ]; then head=$(field pull_request.head.sha); else head=${GITHUB_SHA:-}; fi
          ;;
        push)
          base=$(field before)
          head=$(field after)
          head=${head:-${GITHUB_SHA:-}}
          ;;
        *) fail "mode range needs the range input outside pull requests and pushes" ;;
      esac
    fi
    [ -n "$head" ] || fail "no head commit in the event (GITHUB_SHA / after)"
    fetch_commit "$head" || fail "cannot fetch the head commit $head"
    wants=("$head")
    if [ -z "$base" ] || [[ "$base" =~ $zero ]] || ! fetch_commit "$base"; then
      # a new branch (before is all zeros), or a base that is gone (force-push): the
      # commits not on the default branch
      default=$(field repository.default_branch)
      default=${default:-${GITHUB_BASE_REF:-main}}
      git fetch --no-tags --quiet --depth=1 "$remote" "+refs/heads/$default:refs/remotes/$remote/$default" 2>/dev/null || true
      if have "refs/remotes/$remote/$default" && [ "$(git rev-parse "refs/remotes/$remote/$default")" != "$(git rev-parse "$head^{commit}")" ]; then
        base=$(git rev-parse "refs/remotes/$remote/$default")
        wants+=("$base")
        revs=("$base..$head")
      else
        revs=("$head") # the default branch itself, new: its whole history
      fi
    else
      wants+=("$base")
      revs=("$base..$head")
    fi
    if [ "${#revs[@]}" -eq 1 ] && [[ "${revs[0]}" != *..* ]]; then
      complete_history "${revs[0]}"
    else
      complete_history "${revs[0]%%..*}..${revs[0]##*..}"
    fi
    what=(--range "${revs[0]}")
    ;;
  all) what=(--all) ;;
  *) fail "mode must be auto, all or range (got \"$mode\")" ;;
esac

echo "range=${what[*]}" >>"$out"
echo "secret-guard: scan ${what[*]}" >&2
# the readable report in the log, then the SARIF file for code scanning
node "$bin" scan "${what[@]}" --no-color || true
status=0
node "$bin" scan "${what[@]}" --format sarif --output "$sarif" || status=$?
echo "status=$status" >>"$out"
