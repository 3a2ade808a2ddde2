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

``select DIR TEST ...``: set the mutmut test selection of the copy at ``DIR`` (its
``pyproject.toml``) to those tests: the fast first stage of ``mutation.sh --two-stage``.

``inject SRC DST MODULE ...``: copy the kills of those modules' mutants from the mutmut state
under ``SRC`` (the first stage) into the one under ``DST``, for every function whose source hash
is the same in both (a kill by a subset of the selection is a kill by the whole selection).

``changed ROOT REV MODULE ...``: ``fnmatch`` patterns of the mutants of the functions and
methods whose code differs between git revision ``REV`` and the work tree at ``ROOT`` (new
functions included), for ``mutation.sh --changed-since``; a module whose code outside its
functions changed is named on stderr (its unchanged functions may behave differently).

``stale ROOT REV``: the mutants listed as equivalent whose function changed since ``REV`` (an
edit renumbers a function's mutants: re-check these names with ``mutmut show``).

``report DIR [MODULE ...]``: read mutmut's per-file results under ``DIR/mutants`` and print,
per module, killed / survived / equivalent (listed in ``benchmarks/mutation_equivalent.txt``
with a reason, excluded from the score) / other, and the kill rate
``killed / (killed + survived)`` after exclusions. Timeouts count as killed (the mutant made
the run hang). ``--surviving`` lists the surviving mutants; ``--only PATTERN ...`` (last) counts
only the mutants those ``fnmatch`` patterns name.
"""

from __future__ import annotations

import ast
import contextlib
import fnmatch
import io
import json
import os
import re
import subprocess
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


def report(root: Path, modules: list[str], surviving: bool, only: list[str] | None = None) -> int:
    eq = equivalents()
    total = Counter()
    print(f"{'module':32} {'mutants':>7} {'killed':>6} {'survived':>8} {'equiv.':>6} {'other':>5} {'score':>6}")
    for module, codes in results(root).items():
        if modules and module not in modules:
            continue
        if only is not None:  # only the mutants of these patterns (e.g. the functions changed since a commit)
            codes = {k: v for k, v in codes.items() if any(fnmatch.fnmatchcase(k, p) for p in only)}
            if not codes:
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


def select(root: Path, tests: list[str]) -> None:
    """Set the ``pytest_add_cli_args_test_selection`` of ``root/pyproject.toml`` to ``tests``."""
    path = root / "pyproject.toml"
    text = path.read_text()
    new, n = re.subn(r"^pytest_add_cli_args_test_selection = \[.*?^\]", "pytest_add_cli_args_test_selection = "
                     + json.dumps(tests), text, count=1, flags=re.S | re.M)
    if n != 1:
        raise SystemExit(f"error: no pytest_add_cli_args_test_selection list in {path}")
    if new != text:
        path.write_text(new)


def _function_key(mutant: str, module: str) -> str:
    """``sim.m.x_f__mutmut_3`` → ``x_f`` (the key of ``hash_by_function_name``)."""
    return mutant[len(module) + 1:].partition("__mutmut_")[0]


def inject(src: Path, dst: Path, modules: list[str]) -> int:
    """Copy the kills of ``modules`` from ``src``'s mutmut state into ``dst``'s (same function hashes only)."""
    for module in modules:
        rel = Path(*module.split(".")).with_suffix(".py.meta")
        a, b = src / "mutants" / rel, dst / "mutants" / rel
        if not a.exists() or not b.exists():
            print(f"   {module}: no first-stage results to carry over", file=sys.stderr)
            continue
        first, meta = json.loads(a.read_text()), json.loads(b.read_text())
        same = {f for f, h in meta.get("hash_by_function_name", {}).items()
                if first.get("hash_by_function_name", {}).get(f) == h}
        codes = meta.setdefault("exit_code_by_key", {})
        n = 0
        for name, code in first.get("exit_code_by_key", {}).items():
            if code in KILLED and name in codes and _function_key(name, module) in same:
                codes[name] = code
                n += 1
        b.write_text(json.dumps(meta, indent=4))
        print(f"   {module}: {n} mutants killed by the first stage")
    return 0


def _definitions(source: str) -> tuple[dict[str, str], str]:
    """Mangled names (mutmut's) of the functions and methods → their code; and the rest of the module."""
    tree = ast.parse(source)
    out, rest = {}, []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            out[f"x_{node.name}"] = ast.dump(node)
        elif isinstance(node, ast.ClassDef):
            body = []
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    out[f"x\u01c1{node.name}\u01c1{item.name}"] = ast.dump(item)
                else:
                    body.append(ast.dump(item))
            rest.append(f"class {node.name}: " + " ".join(body))
        else:
            rest.append(ast.dump(node))
    return out, "\n".join(rest)


def changed(root: Path, rev: str, modules: list[str]) -> int:
    """Print the mutant patterns of the functions of ``modules`` changed since ``rev``."""
    for module in modules:
        path = Path(*module.split(".")).with_suffix(".py")
        now, now_rest = _definitions((root / path).read_text())
        try:
            old_text = subprocess.run(["git", "-C", str(root), "show", f"{rev}:{path.as_posix()}"], check=True,
                                      capture_output=True, text=True).stdout
        except subprocess.CalledProcessError:
            old_text = ""  # a new module: all of it
        old, old_rest = _definitions(old_text) if old_text else ({}, None)
        if old_text and old_rest != now_rest:
            print(f"   {module}: code outside its functions changed since {rev}", file=sys.stderr)
        for name, code in now.items():
            if old.get(name) != code:
                print(f"{module}.{name}__mutmut_*")
    return 0


def stale(root: Path, rev: str) -> int:
    """Print the listed equivalents whose function changed since ``rev`` (their names may now be other mutants)."""
    eq = equivalents()
    modules = sorted({name.split(".x", 1)[0] for name in eq})
    for module in modules:
        if not (root / Path(*module.split("."))).with_suffix(".py").exists():
            continue
        with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.redirect_stderr(io.StringIO()):
            changed(root, rev, [module])
        pats = out.getvalue().split()
        for name in eq:
            if name.startswith(module + ".x") and any(fnmatch.fnmatchcase(name, p) for p in pats):
                print(name)
    return 0


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "prepare":
        prepare(Path(argv[1]))
        return 0
    if len(argv) >= 2 and argv[0] == "report":
        rest = argv[2:]
        only = None
        if "--only" in rest:
            i = rest.index("--only")
            rest, only = rest[:i], rest[i + 1:]
        surviving = "--surviving" in rest
        return report(Path(argv[1]), [m for m in rest if m != "--surviving"], surviving, only)
    if len(argv) >= 2 and argv[0] == "pending":
        return pending(Path(argv[1]), argv[2:])
    if len(argv) >= 2 and argv[0] == "select":
        select(Path(argv[1]), argv[2:])
        return 0
    if len(argv) >= 3 and argv[0] == "inject":
        return inject(Path(argv[1]), Path(argv[2]), argv[3:])
    if len(argv) >= 3 and argv[0] == "changed":
        return changed(Path(argv[1]), argv[2], argv[3:])
    if len(argv) == 3 and argv[0] == "stale":
        return stale(Path(argv[1]), argv[2])
    print("usage: mutation.py prepare DIR | report DIR [MODULE ...] [--surviving] [--only PATTERN ...] | "
          "pending DIR MODULE ... | select DIR TEST ... | inject SRC DST MODULE ... | changed ROOT REV MODULE ... | "
          "stale ROOT REV",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
