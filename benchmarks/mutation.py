"""Helpers of ``benchmarks/mutation.sh``: prepare the mutation copy, and score the results.

``prepare DIR``: in the copy of the project at ``DIR``, rewrite every ``@rule``- or ``@compiled_pass``-decorated
function of ``sim/mechanisms`` as a plain function followed by ``name = rule(name)``. The two
forms are the same Python, but mutmut skips decorated functions, so without this the
compiled per-user rules (the heart of the model) would never be mutated. The copy runs with
``NUMBA_DISABLE_JIT=1``, so ``rule`` returns the function itself and the tests exercise the
rules' pure-Python versions (same results per seed as the compiled ones).

The wrappers keep the source's mtime, so mutmut does not regenerate unchanged files.

``pending DIR MODULE ...``: the mutants of those modules not killed yet (survived or not run,
equivalents left out), for ``mutation.sh --survivors``.

``report DIR [MODULE ...]``: read mutmut's per-file results under ``DIR/mutants`` and print,
per module, killed / survived / equivalent (listed in ``benchmarks/mutation_equivalent.txt``
with a reason, excluded from the score) / other, and the kill rate
``killed / (killed + survived)`` after exclusions. Timeouts count as killed (the mutant made
the run hang). ``--surviving`` lists the surviving mutants.
"""

from __future__ import annotations

import ast
import json
import os
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
EQUIVALENT = HERE / "mutation_equivalent.txt"
KILLED = {1, 3, 36, -24, 24, 152, 255}  # test failure, pytest internal error, timeouts
SURVIVED = {0}


#: the decorators of compiled code (sim.jit): a per-user rule and a daily pass over the pool
DECORATORS = ("rule", "compiled_pass")


def unwrap_rules(source: str) -> str:
    """``@rule`` + ``def f`` → ``def f`` + ``f = rule(f)`` (top-level functions only; also ``@compiled_pass``)."""
    lines = source.splitlines(keepends=True)
    edits = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and len(node.decorator_list) == 1:
            dec = node.decorator_list[0]
            if isinstance(dec, ast.Name) and dec.id in DECORATORS:
                edits.append((dec.lineno, node.end_lineno, node.name))
    for dec_line, end, name in reversed(edits):
        dec = lines[dec_line - 1].strip()
        assert dec[1:] in DECORATORS, dec
        lines.insert(end, f"\n\n{name} = {dec[1:]}({name})\n")
        del lines[dec_line - 1]
    return "".join(lines)


def prepare(root: Path) -> None:
    for path in sorted((root / "sim" / "mechanisms").glob("*.py")):
        text = path.read_text()
        new = unwrap_rules(text)
        if new != text:
            compile(new, str(path), "exec")
            st = path.stat()
            path.write_text(new)
            # keep the source's mtime: mutmut regenerates a file's mutants when the source is
            # newer than them (the script deletes them itself when the source really changed)
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def equivalents() -> dict[str, str]:
    """Mutant name → reason it cannot change behaviour."""
    out = {}
    if EQUIVALENT.exists():
        for line in EQUIVALENT.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                name, _, reason = line.partition(" ")
                out[name] = reason.strip()
    return out


def results(root: Path) -> dict[str, dict[str, int | None]]:
    """Module → {mutant name → exit code} from mutmut's ``.meta`` files."""
    out = {}
    for meta in sorted((root / "mutants").rglob("*.py.meta")):
        rel = meta.relative_to(root / "mutants").with_suffix("").with_suffix("")
        module = ".".join(rel.parts)
        out[module] = json.loads(meta.read_text()).get("exit_code_by_key", {})
    return out


def report(root: Path, modules: list[str], surviving: bool) -> int:
    eq = equivalents()
    total = Counter()
    print(f"{'module':32} {'mutants':>7} {'killed':>6} {'survived':>8} {'equiv.':>6} {'other':>5} {'score':>6}")
    for module, codes in results(root).items():
        if modules and module not in modules:
            continue
        c = Counter()
        left = []
        for name, code in codes.items():
            if name in eq:
                c["equivalent"] += 1
            elif code in KILLED:
                c["killed"] += 1
            elif code in SURVIVED:
                c["survived"] += 1
                left.append(name)
            else:
                c["other"] += 1  # no tests, not checked, suspicious
                left.append(f"{name} (exit {code})")
        total += c
        scored = c["killed"] + c["survived"] + c["other"]
        score = f"{100 * c['killed'] / scored:5.1f}%" if scored else "  -"
        print(f"{module:32} {len(codes):7} {c['killed']:6} {c['survived']:8} {c['equivalent']:6} {c['other']:5} {score:>6}")
        if surviving:
            for name in left:
                print(f"    survived: {name}")
    scored = total["killed"] + total["survived"] + total["other"]
    if scored:
        print(f"{'total':32} {sum(total.values()):7} {total['killed']:6} {total['survived']:8} "
              f"{total['equivalent']:6} {total['other']:5} {100 * total['killed'] / scored:5.1f}%")
    return 0


def pending(root: Path, modules: list[str]) -> int:
    """Print the mutants of ``modules`` not killed yet (survived, not run, not listed as equivalent)."""
    eq = equivalents()
    found = results(root)
    for module in modules:
        if module not in found:  # never run (or its source changed): all of it
            print(f"{module}.*")
            continue
        for name, code in found[module].items():
            if name not in eq and code not in KILLED:
                print(name)
    return 0


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "prepare":
        prepare(Path(argv[1]))
        return 0
    if len(argv) >= 2 and argv[0] == "report":
        rest = argv[2:]
        surviving = "--surviving" in rest
        return report(Path(argv[1]), [m for m in rest if m != "--surviving"], surviving)
    if len(argv) >= 2 and argv[0] == "pending":
        return pending(Path(argv[1]), argv[2:])
    print("usage: mutation.py prepare DIR | report DIR [MODULE ...] [--surviving] | pending DIR MODULE ...",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
