#!/usr/bin/env bash
# Mutation testing of the model's rules and money with mutmut (configured in pyproject.toml,
# [tool.mutmut]); NOT part of the CI suite. See docs/MODEL.md §8 (Verification).
#
#   benchmarks/mutation.sh                      # every target module, one at a time
#   benchmarks/mutation.sh sim.mechanisms.trust # one module (several may be given)
#   benchmarks/mutation.sh --report             # only print the scores of the last runs
#
# The project (tracked and new files) is copied to $MUTATION_DIR (default artifacts/mutation),
# the @rule functions there are unwrapped so mutmut mutates them (benchmarks/mutation.py), and
# mutmut runs with NUMBA_DISABLE_JIT=1: the tests run the rules' pure-Python versions on tiny
# populations. mutmut runs for each mutant only the tests that reach the mutated function.
# CPU: $MUTATION_CHILDREN parallel children (default 1; the machine is shared).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-$(command -v python)}
BIN=$(dirname "$PY")
WORK=${MUTATION_DIR:-$ROOT/artifacts/mutation}
CHILDREN=${MUTATION_CHILDREN:-1}
MODULES=(sim.mechanisms.acquisition sim.mechanisms.community sim.mechanisms.day sim.mechanisms.fatigue
         sim.mechanisms.lifecycle sim.mechanisms.messaging sim.mechanisms.pool sim.mechanisms.purchase
         sim.mechanisms.referral sim.mechanisms.trust sim.runner sim.model sim.scenario
         sim.experiments.design sim.experiments.seeds)

if [[ "${1:-}" == "--report" ]]; then
  shift
  exec "$PY" "$ROOT/benchmarks/mutation.py" report "$WORK" "$@" --surviving
fi
[[ $# -gt 0 ]] && MODULES=("$@")

mkdir -p "$WORK"
# a source that changed since the last copy gets its mutants regenerated (mutmut goes by mtime)
for f in $(cd "$ROOT" && git ls-files -co --exclude-standard -- 'sim/*.py'); do
  if ! cmp -s "$ROOT/$f" "$WORK/$f"; then rm -f "$WORK/mutants/$f" "$WORK/mutants/$f.meta"; fi
done
# changed tests: collect afresh which tests reach which function (mutmut adds new tests only)
for f in $(cd "$ROOT" && git ls-files -co --exclude-standard -- 'tests/*.py'); do
  if ! cmp -s "$ROOT/$f" "$WORK/$f"; then rm -f "$WORK/mutants/mutmut-stats.json"; break; fi
done
# fresh copy of the sources and tests (mutmut's own state in $WORK/mutants is kept, so reruns are incremental)
(cd "$ROOT" && git ls-files -co --exclude-standard -z -- sim tests pyproject.toml scenarios \
   | tar --null -T - -cf -) | tar -xf - -C "$WORK"
"$PY" "$ROOT/benchmarks/mutation.py" prepare "$WORK"

cd "$WORK"
export NUMBA_DISABLE_JIT=1 PYTHONPATH="$WORK" PYTHONHASHSEED=0
for m in "${MODULES[@]}"; do
  echo "== $m ($(date -u +%FT%TZ))"
  "$BIN/mutmut" run --max-children "$CHILDREN" "$m.*" | tail -n 5
done
"$PY" "$ROOT/benchmarks/mutation.py" report "$WORK" "${MODULES[@]}"
