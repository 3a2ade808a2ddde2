#!/usr/bin/env bash
# Mutation testing of the model's rules and money with mutmut (configured in pyproject.toml,
# [tool.mutmut]); NOT part of the CI suite. See docs/MODEL.md §8 (Verification).
#
#   benchmarks/mutation.sh                      # every target module, one at a time
#   benchmarks/mutation.sh sim.mechanisms.trust # one module (several may be given)
#   benchmarks/mutation.sh --report             # only print the scores of the last runs
#   benchmarks/mutation.sh --survivors MODULE   # re-run only the mutants not killed yet (after
#                                               # adding tests; a changed source is re-run whole)
#   benchmarks/mutation.sh --changed-since REV MODULE  # only the mutants of the functions whose
#                                               # code changed since git revision REV (new ones too)
#   benchmarks/mutation.sh --two-stage MODULE   # first against the module's fast tests (FAST_TESTS
#                                               # below), then only what survived against all of them
# (the options combine, in this order: --survivors, --changed-since REV, --two-stage)
#
# The project (tracked and new files) is copied to $MUTATION_DIR (default artifacts/mutation),
# the @rule functions there are unwrapped so mutmut mutates them (benchmarks/mutation.py), and
# mutmut runs with NUMBA_DISABLE_JIT=1: the tests run the rules' pure-Python versions on tiny
# populations. mutmut runs for each mutant only the tests that reach the mutated function.
# `mutmut run PATTERN` re-runs every mutant the pattern names, so a plain run scores the
# module afresh; mutants are regenerated only for sources that changed.
# CPU: $MUTATION_CHILDREN parallel children (default 1; the machine is shared).
#
# The interpreter: $PYTHON, else the project's .venv/bin/python, else the active virtualenv's,
# else python3/python on PATH; mutmut must be installed next to it (a git worktree has no .venv
# of its own: PYTHON=/path/to/main/.venv/bin/python benchmarks/mutation.sh ...).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-}
for cand in "$ROOT/.venv/bin/python" "${VIRTUAL_ENV:+$VIRTUAL_ENV/bin/python}" \
            "$(command -v python3 || true)" "$(command -v python || true)"; do
  [[ -n "$PY" ]] && break
  [[ -n "$cand" && -x "$cand" && -x "$(dirname "$cand")/mutmut" ]] && PY=$cand
done
if [[ -z "$PY" || ! -x "$(dirname "$PY")/mutmut" ]]; then
  echo "error: no python with mutmut next to it (${PY:-none found}); set PYTHON=/path/to/venv/bin/python" >&2
  exit 2
fi
BIN=$(dirname "$PY")
WORK=${MUTATION_DIR:-$ROOT/artifacts/mutation}
CHILDREN=${MUTATION_CHILDREN:-1}
MODULES=(sim.mechanisms.acquisition sim.mechanisms.budget sim.mechanisms.community sim.mechanisms.day sim.mechanisms.fatigue
         sim.mechanisms.lifecycle sim.mechanisms.messaging sim.mechanisms.pool sim.mechanisms.purchase
         sim.mechanisms.referral sim.mechanisms.trust sim.runner sim.model sim.scenario
         sim.money sim.experiments.design sim.experiments.seeds)

# --two-stage: the tests of a module's first stage, a small part of the selection that checks it
# directly. Its mutants reach nearly every selected test (every test builds a scenario), so a
# plain run costs about an hour of CPU; the first stage runs each against these tests in a copy
# of its own ($WORK.stage1/MODULE), its kills are carried over, and only the mutants that
# survived it run against the whole selection. The score is the same as a plain run's: a test
# that fails in the first stage is in the selection too.
declare -A FAST_TESTS=(
  [sim.scenario]="tests/test_schema_bounds.py tests/test_schema_phases.py tests/test_loader.py"
  # the day's calls against their separate steps, runs of days against steps, the pinned KPIs
  [sim.mechanisms.pool]="tests/test_rules_day.py tests/test_engine_pinned.py"
  [sim.model]="tests/test_rules_day.py tests/test_engine_pinned.py"
  # each against its own rule tests, the one-call day against the separate steps, the pinned KPIs
  [sim.mechanisms.acquisition]="tests/test_rules_acquisition.py tests/test_rules_day.py tests/test_engine_pinned.py"
  [sim.mechanisms.day]="tests/test_ledger.py tests/test_rules_day.py tests/test_engine_pinned.py"
  [sim.mechanisms.budget]="tests/test_rules_budget.py tests/test_rules_day.py tests/test_engine_pinned.py"
)

# Modules scored on part of their code only: the functions named here (their pure logic; the
# rest is file I/O and orchestration exercised by real sweeps, docs/MODEL.md §8.1). Their
# mutants run and their score is reported over these functions alone.
declare -A FUNCTIONS=(
  [sim.experiments.store]="x_resolve_store x_check_id x_new_id x_utc_now x_fingerprint x_scenario_sha x__parts x__rows_in x__timings x__typed_frame x_column_dtypes"
  [sim.experiments.sweep]="x_quantiles x__point_label x__as_design x__scenarios"
)
patterns_of() {  # patterns_of MODULE: mutant patterns of the module's scored functions (all if not listed)
  local f
  if [[ -n "${FUNCTIONS[$1]:-}" ]]; then
    for f in ${FUNCTIONS[$1]}; do echo "$1.${f}__mutmut_*"; done
  else
    echo "$1.*"
  fi
}

if [[ "${1:-}" == "--report" ]]; then
  shift
  exec "$PY" "$ROOT/benchmarks/mutation.py" report "$WORK" "$@" --surviving
fi
SURVIVORS=0 SINCE="" TWO_STAGE=0
if [[ "${1:-}" == "--survivors" ]]; then SURVIVORS=1; shift; fi
if [[ "${1:-}" == "--changed-since" ]]; then
  SINCE=${2:?--changed-since needs a git revision}; shift 2
  git -C "$ROOT" rev-parse --verify -q "$SINCE^{commit}" >/dev/null \
    || { echo "error: --changed-since: '$SINCE' is not a commit of this repository" >&2; exit 2; }
fi
if [[ "${1:-}" == "--two-stage" ]]; then TWO_STAGE=1; shift; fi
[[ $# -gt 0 ]] && MODULES=("$@")

refresh() {  # refresh DIR: a fresh prepared copy of the project in DIR, keeping mutmut's state
  local dir=$1 f
  mkdir -p "$dir/.pristine"
  # a source that changed since the last copy gets its mutants regenerated (compared with the
  # unprepared copy in DIR/.pristine: the copy in DIR has its rules unwrapped); mutmut keeps
  # the results of the functions whose source hash is unchanged and re-runs the changed ones
  # (a copy without mutants — no .meta — is refreshed too: the file may have joined only_mutate,
  # and mutmut would keep the plain copy, newer than its source)
  for f in $(cd "$ROOT" && git ls-files -co --exclude-standard -- 'sim/*.py'); do
    if ! cmp -s "$ROOT/$f" "$dir/.pristine/$f" || [[ ! -e "$dir/mutants/$f.meta" ]]; then rm -f "$dir/mutants/$f"; fi
  done
  # changed tests: collect afresh which tests reach which function (mutmut adds new tests only)
  for f in $(cd "$ROOT" && git ls-files -co --exclude-standard -- 'tests/*.py'); do
    if ! cmp -s "$ROOT/$f" "$dir/.pristine/$f"; then rm -f "$dir/mutants/mutmut-stats.json"; break; fi
  done
  # fresh copy of the sources and tests (mutmut's own state in DIR/mutants is kept)
  for dest in "$dir" "$dir/.pristine"; do
    (cd "$ROOT" && git ls-files -co --exclude-standard -z -- sim tests pyproject.toml scenarios \
       | tar --null -T - -cf -) | tar -xf - -C "$dest"
  done
  "$PY" "$ROOT/benchmarks/mutation.py" prepare "$dir"
}
refresh "$WORK"

cd "$WORK"
export NUMBA_DISABLE_JIT=1 PYTHONHASHSEED=0
# Each mutmut run gets a session of its own and writes to a log file, not a pipe: a test that
# forks worker processes (a process pool) and ends without shutting them down leaves them
# orphaned when mutmut's child exits with os._exit; they wait forever on the pool's queue, at
# zero CPU, holding every descriptor they inherited — with `mutmut run | tail` the script hung
# after the last mutant. Whatever is left in the session after the run is ended by its pid.
run_mutmut() {  # run_mutmut LOG ARGS...: mutmut in a session of its own; end what it leaves behind
  run_mutmut_in "$WORK" "$@"
}
run_mutmut_in() {  # run_mutmut_in DIR LOG ARGS...: the same in the copy at DIR
  local dir=$1 log=$2 sidfile="$1/mutmut.sid" status=0 sid left
  shift 2
  (cd "$dir" && PYTHONPATH="$dir" setsid -w bash -c 'echo $$ > "$1"; shift; exec "$@"' _ "$sidfile" \
    "$BIN/mutmut" run --max-children "$CHILDREN" "$@" >"$log" 2>&1 </dev/null) || status=$?
  sid=$(cat "$sidfile" 2>/dev/null || true)
  if [[ -n "$sid" ]]; then
    left=$(ps -e -o pid=,sid= | awk -v s="$sid" '$2 == s { print $1 }')
    if [[ -n "$left" ]]; then
      echo "   ended $(echo $left | wc -w) process(es) the run left behind: $(echo $left)"
      kill $left 2>/dev/null || true
    fi
  fi
  return $status
}

keep() {  # keep PATTERN...: the names on stdin that a pattern matches (a whole-module line stands for its patterns)
  "$PY" -c '
import fnmatch, sys
pats = sys.argv[1:]
out = []
for line in sys.stdin:
    name = line.strip()
    if not name:
        continue
    if name.endswith(".*"):
        out += [p for p in pats if fnmatch.fnmatchcase(p, name)]
    elif any(fnmatch.fnmatchcase(name, p) for p in pats):
        out.append(name)
print("\n".join(dict.fromkeys(out)))' "$@" | grep -v '^$' || true
}
generate() {  # generate DIR: mutants of changed sources regenerated (mutmut does it only in `run`;
  # a name that matches no mutant runs none): the changed functions' results become "not run"
  run_mutmut_in "$1" "$1/mutmut-generate.log" "sim.__generate_only__" || true
}
if [[ $SURVIVORS -eq 1 || $TWO_STAGE -eq 1 ]]; then generate "$WORK"; fi
ONLY=()
for m in "${MODULES[@]}"; do
  echo "== $m ($(date -u +%FT%TZ))"
  log="$WORK/mutmut-$m.log"
  status=0
  mapfile -t scope < <(patterns_of "$m")
  [[ -n "${FUNCTIONS[$m]:-}" ]] && ONLY+=("${scope[@]}")
  targets=("${scope[@]}")
  if [[ $SURVIVORS -eq 1 ]]; then
    mapfile -t targets < <("$PY" "$ROOT/benchmarks/mutation.py" pending "$WORK" "$m" | keep "${scope[@]}")
    if [[ ${#targets[@]} -eq 0 ]]; then echo "   nothing left to run"; continue; fi
    echo "   ${#targets[@]} mutants not killed yet"
  fi
  if [[ -n "$SINCE" ]]; then
    mapfile -t changed < <("$PY" "$ROOT/benchmarks/mutation.py" changed "$ROOT" "$SINCE" "$m")
    ONLY+=("${changed[@]}")
    if [[ ${#changed[@]} -eq 0 ]]; then echo "   no function changed since $SINCE"; continue; fi
    echo "   ${#changed[@]} function(s) changed since $SINCE"
    if [[ $SURVIVORS -eq 1 ]]; then  # the pending mutants of the changed functions
      mapfile -t targets < <(printf '%s\n' "${targets[@]}" | keep "${changed[@]}")
      if [[ ${#targets[@]} -eq 0 ]]; then echo "   nothing left to run"; continue; fi
    else
      mapfile -t targets < <(printf '%s\n' "${changed[@]}" | keep "${scope[@]}")
    fi
  fi
  if [[ $TWO_STAGE -eq 1 && -n "${FAST_TESTS[$m]:-}" ]]; then
    stage1="$WORK.stage1/$m"
    mkdir -p "$stage1"
    refresh "$stage1"
    # shellcheck disable=SC2086  # the list is words
    "$PY" "$ROOT/benchmarks/mutation.py" select "$stage1" ${FAST_TESTS[$m]}
    echo "   first stage: ${FAST_TESTS[$m]} ($stage1)"
    first=("${targets[@]}")
    if [[ $SURVIVORS -eq 1 && -d "$stage1/mutants" ]]; then  # what the first stage has not killed yet
      generate "$stage1"
      mapfile -t first < <("$PY" "$ROOT/benchmarks/mutation.py" pending "$stage1" "$m" | keep "${targets[@]}")
      echo "   first stage: ${#first[@]} of them not killed by it yet"
    fi
    [[ ${#first[@]} -eq 0 ]] || run_mutmut_in "$stage1" "$stage1/mutmut-$m.log" "${first[@]}" || status=$?
    tr '\r' '\n' <"$stage1/mutmut-$m.log" | grep -v '^\s*$' | tail -n 3
    [[ $status -eq 0 ]] || echo "   first stage: mutmut exited with status $status (log: $stage1/mutmut-$m.log)"
    status=0
    "$PY" "$ROOT/benchmarks/mutation.py" inject "$stage1" "$WORK" "$m"
    # second stage: what is not killed yet, against the whole selection
    mapfile -t targets < <("$PY" "$ROOT/benchmarks/mutation.py" pending "$WORK" "$m" | keep "${targets[@]}")
    if [[ ${#targets[@]} -eq 0 ]]; then echo "   second stage: nothing left to run"; continue; fi
    echo "   second stage: ${#targets[@]} mutants against the whole selection"
  fi
  run_mutmut "$log" "${targets[@]}" || status=$?
  tr '\r' '\n' <"$log" | grep -v '^\s*$' | tail -n 5
  [[ $status -eq 0 ]] || echo "   mutmut exited with status $status (log: $log)"
done
if [[ -n "$SINCE" || ${#ONLY[@]} -gt 0 ]]; then
  if [[ -n "$SINCE" ]]; then echo "-- the functions changed since $SINCE:"; else echo "-- the functions scored (FUNCTIONS):"; fi
  [[ ${#ONLY[@]} -gt 0 ]] && "$PY" "$ROOT/benchmarks/mutation.py" report "$WORK" "${MODULES[@]}" --only "${ONLY[@]}"
  echo "-- the whole modules:"
fi
"$PY" "$ROOT/benchmarks/mutation.py" report "$WORK" "${MODULES[@]}"
if [[ -n "$SINCE" ]]; then
  # an edit renumbers a function's mutants, and a listed name is counted as equivalent whatever it now names
  mapfile -t stale < <("$PY" "$ROOT/benchmarks/mutation.py" stale "$ROOT" "$SINCE")
  if [[ ${#stale[@]} -gt 0 ]]; then
    echo "-- ${#stale[@]} mutants listed as equivalent are in functions changed since $SINCE: re-check each with"
    echo "   'mutmut show NAME' in $WORK against its reason in benchmarks/mutation_equivalent.txt"
  fi
fi
