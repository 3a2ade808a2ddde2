"""The one YAML reader for everything a user hands Siyu: scenario files, uploads, ``--set`` values.

:func:`load` parses YAML with PyYAML's ``SafeLoader`` (plain data only: no Python objects) and
refuses, each with a one-line :class:`sim.errors.ScenarioError` naming the source, the field
and the limit:

- text over :data:`MAX_BYTES` (1 MB) — checked before parsing;
- bytes that are not UTF-8;
- anchors (``&name``), aliases (``*name``) and merge keys (``<<``) — no "billion laughs"
  expansion, in files and override values alike;
- nesting deeper than :data:`MAX_DEPTH` levels of mappings and lists (no RecursionError);
- a mapping with the same key twice (both line numbers are given; YAML would silently keep
  the last);
- a number written with more than :data:`MAX_NUMBER_CHARS` characters (out of range for every
  field; also keeps Python's 4,300-digit int-string limit from ever raising ValueError);
- malformed YAML (with its line number).

Messages echo user input through :func:`sim.errors.cut`, so they stay short.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sim.errors import ScenarioError, cut

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_NUMBER_CHARS", "decode", "load"]

#: Largest YAML text accepted (bytes of UTF-8).
MAX_BYTES = 1_000_000
#: Deepest nesting of mappings and lists (a scenario needs 4: shocks → window → field).
MAX_DEPTH = 32
#: Longest number (characters of the YAML scalar, e.g. ``5_000_000`` or ``1.5e-3``).
MAX_NUMBER_CHARS = 100

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_MERGE = "tag:yaml.org,2002:merge"


def _path_text(path: tuple[Any, ...]) -> str:
    return cut(".".join(str(p) for p in path), 60) if path else ""


class _Refused(Exception):
    """A hostile construct found while composing (turned into a ScenarioError by :func:`load`)."""

    def __init__(self, path: tuple[Any, ...], line: int | None, what: str) -> None:
        super().__init__(what)
        self.path, self.line, self.what = path, line, what


class _SafeLoader(yaml.SafeLoader):
    """SafeLoader with the checks listed in the module docstring (done while composing nodes)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._paths: list[tuple[Any, ...]] = [()]

    def compose_node(self, parent: Node | None, index: Any) -> Node:  # noqa: D102
        event = self.peek_event()
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        here = self._paths[-1]
        if isinstance(parent, MappingNode) and isinstance(index, ScalarNode):
            here = (*here, index.value)
        elif isinstance(parent, SequenceNode) and isinstance(index, int):
            here = (*here, index)
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(here, line, "YAML anchors and aliases (&name, *name) are not allowed")
        if getattr(event, "anchor", None) is not None:
            raise _Refused(here, line, "YAML anchors and aliases (&name, *name) are not allowed")
        if len(self._paths) > MAX_DEPTH:
            raise _Refused(here, line, f"nested too deeply (allowed at most {MAX_DEPTH} levels)")
        self._paths.append(here)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._paths.pop()
        if isinstance(node, ScalarNode):
            if node.tag == _MERGE:
                raise _Refused(here, line, "YAML merge keys (<<) are not allowed")
            if node.tag in (_INT, _FLOAT) and ":" in node.value:
                node.tag = "tag:yaml.org,2002:str"  # YAML 1.1's base 60 ("1:30" = 90) is a string here
            if node.tag in (_INT, _FLOAT) and len(node.value) > MAX_NUMBER_CHARS:
                raise _Refused(here, line, f"a number of {len(node.value):,} characters is out of range "
                                           f"(numbers may have at most {MAX_NUMBER_CHARS} characters)")
        node.siyu_path = here  # type: ignore[attr-defined]
        return node

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:  # noqa: D102
        if isinstance(node, MappingNode):
            first: dict[Any, int] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    seen = first.get(key)
                except TypeError:  # unhashable key: SafeConstructor reports it
                    continue
                line = key_node.start_mark.line + 1
                if seen is not None:
                    path = getattr(node, "siyu_path", ())
                    raise _Refused((*path, key), line,
                                   f"duplicate key {cut(repr(key), 40)} (lines {seen} and {line}; "
                                   "each key may appear once)")
                first[key] = line
        return super().construct_mapping(node, deep=deep)


def decode(data: bytes | str, source: str) -> str:
    """UTF-8 text of ``data`` within :data:`MAX_BYTES`, or a one-line ScenarioError."""
    where = cut(source)
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        raise ScenarioError(f"{where}: {size:,} bytes is larger than 1 MB (allowed at most {MAX_BYTES:,} bytes)")
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ScenarioError(f"{where}: not UTF-8 text (byte {err.start:,}); save the file as UTF-8") from None


def load(data: bytes | str, source: str) -> Any:
    """Parse YAML ``data`` from ``source`` (a file name, "upload", "--set key") into plain data.

    Returns ``None`` for an empty document. Every problem raises a one-line ScenarioError
    starting with ``source`` (cut to 80 characters).
    """
    text = decode(data, source)
    where = cut(source)
    loader = None
    try:
        loader = _SafeLoader(text)
        return loader.get_single_data()
    except _Refused as err:
        field = _path_text(err.path)
        at = f" (line {err.line})" if err.line and "line" not in err.what else ""
        raise ScenarioError(f"{where}: {field + ': ' if field else ''}{err.what}{at}") from None
    except yaml.reader.ReaderError as err:
        raise ScenarioError(f"{where}: not valid YAML: character {err.character!r} at position "
                            f"{err.position:,} is not allowed in YAML text") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        problem = cut(getattr(err, "problem", None) or "malformed YAML", 100)
        raise ScenarioError(f"{where}: not valid YAML{line}: {problem}") from None
    except (RecursionError, MemoryError):  # a last guard: MAX_DEPTH stops nesting long before
        raise ScenarioError(f"{where}: YAML is nested too deeply (allowed at most {MAX_DEPTH} levels)") from None
    finally:
        if loader is not None:
            loader.dispose()
