#!/usr/bin/env bash
# Mutation testing of the model's rules and money with mutmut (configured in pyproject.toml,
# [tool.mutmut]); NOT part of the CI suite. See docs/MODEL.md §8 (Verification).
#
#   benchmarks/mutation.sh                      # every target module, one at a time
#   benchmarks/mutation.sh sim.mechanisms.trust # one module (several may be given)
#   benchmarks/mutation.sh --report             # only print the scores of the last runs
#   benchmarks/mutation.sh --survivors MODULE   # re-run only the mutants not killed yet (after
#                                               # adding tests; a changed source is re-run whole)
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
MODULES=(sim.mechanisms.acquisition sim.mechanisms.community sim.mechanisms.day sim.mechanisms.fatigue
         sim.mechanisms.lifecycle sim.mechanisms.messaging sim.mechanisms.pool sim.mechanisms.purchase
         sim.mechanisms.referral sim.mechanisms.trust sim.runner sim.model sim.scenario
         sim.money sim.experiments.design sim.experiments.seeds)

if [[ "${1:-}" == "--report" ]]; then
  shift
  exec "$PY" "$ROOT/benchmarks/mutation.py" report "$WORK" "$@" --surviving
fi
SURVIVORS=0
if [[ "${1:-}" == "--survivors" ]]; then SURVIVORS=1; shift; fi
[[ $# -gt 0 ]] && MODULES=("$@")

mkdir -p "$WORK/.pristine"
# a source that changed since the last copy gets its mutants regenerated (compared with the
# unprepared copy in $WORK/.pristine: the copy in $WORK has its rules unwrapped); mutmut keeps
# the results of the functions whose source hash is unchanged and re-runs the changed ones
for f in $(cd "$ROOT" && git ls-files -co --exclude-standard -- 'sim/*.py'); do
  if ! cmp -s "$ROOT/$f" "$WORK/.pristine/$f"; then rm -f "$WORK/mutants/$f"; fi
done
# changed tests: collect afresh which tests reach which function (mutmut adds new tests only)
for f in $(cd "$ROOT" && git ls-files -co --exclude-standard -- 'tests/*.py'); do
  if ! cmp -s "$ROOT/$f" "$WORK/.pristine/$f"; then rm -f "$WORK/mutants/mutmut-stats.json"; break; fi
done
# fresh copy of the sources and tests (mutmut's own state in $WORK/mutants is kept)
for dest in "$WORK" "$WORK/.pristine"; do
  (cd "$ROOT" && git ls-files -co --exclude-standard -z -- sim tests pyproject.toml scenarios \
     | tar --null -T - -cf -) | tar -xf - -C "$dest"
done
"$PY" "$ROOT/benchmarks/mutation.py" prepare "$WORK"

cd "$WORK"
export NUMBA_DISABLE_JIT=1 PYTHONPATH="$WORK" PYTHONHASHSEED=0
# Each mutmut run gets a session of its own and writes to a log file, not a pipe: a test that
# forks worker processes (a process pool) and ends without shutting them down leaves them
# orphaned when mutmut's child exits with os._exit; they wait forever on the pool's queue, at
# zero CPU, holding every descriptor they inherited — with `mutmut run | tail` the script hung
# after the last mutant. Whatever is left in the session after the run is ended by its pid.
run_mutmut() {  # run_mutmut LOG ARGS...: mutmut in a session of its own; end what it leaves behind
  local log=$1 sidfile="$WORK/mutmut.sid" status=0 sid left
  shift
  setsid -w bash -c 'echo $$ > "$1"; shift; exec "$@"' _ "$sidfile" \
    "$BIN/mutmut" run --max-children "$CHILDREN" "$@" >"$log" 2>&1 </dev/null || status=$?
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

if [[ $SURVIVORS -eq 1 ]]; then
  # regenerate the mutants of changed sources first (mutmut does it only in `run`; a name that
  # matches no mutant runs none): the changed functions' results become "not run"
  run_mutmut "$WORK/mutmut-generate.log" "sim.__generate_only__" || true
fi
for m in "${MODULES[@]}"; do
  echo "== $m ($(date -u +%FT%TZ))"
  log="$WORK/mutmut-$m.log"
  status=0
  targets=("$m.*")
  if [[ $SURVIVORS -eq 1 ]]; then
    mapfile -t targets < <("$PY" "$ROOT/benchmarks/mutation.py" pending "$WORK" "$m")
    if [[ ${#targets[@]} -eq 0 ]]; then echo "   nothing left to run"; continue; fi
    echo "   ${#targets[@]} mutants not killed yet"
  fi
  run_mutmut "$log" "${targets[@]}" || status=$?
  tr '\r' '\n' <"$log" | grep -v '^\s*$' | tail -n 5
  [[ $status -eq 0 ]] || echo "   mutmut exited with status $status (log: $log)"
done
"$PY" "$ROOT/benchmarks/mutation.py" report "$WORK" "${MODULES[@]}"
