"""Parse YAML with hard bounds, so that a hostile or oversized file is refused within a second.

PyYAML's own composer recurses once per level of nesting, and anything that walks its result
(construction, validation, our line map) visits an aliased collection once per alias: eight lines
of nested aliases ("billion laughs") expand to 10^9 nodes, and `&a [*a]` to an endless loop. So the
parser's events are first walked once, without recursion and without building anything, counting
every value as it would be once aliases are expanded; the walk stops at the first value over a limit
with its line and key path. Only a text within the limits is composed and constructed. libyaml's C
parser is used when it is installed (about 20x faster than the pure-Python one), and itself refuses
nesting deeper than 1,000 levels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# A scenario or experiment file is a few kB; a system with 100,000 named districts is about 1.5 MB.
MAX_BYTES = 4_000_000
# The deepest key path of a scenario is 6 levels (alumni.stages.0.roles.classroom); 50 leaves room.
MAX_DEPTH = 50
# Values after alias expansion. A scenario holds a few hundred; a list of names for every district of
# the biggest real school systems a few thousand. The limit keeps the worst case (parsing, then
# checking every value) well under a second.
MAX_NODES = 50_000
# Digits of a whole number: a seed fits in 20; more is a typing accident or an attack on int().
MAX_DIGITS = 30

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NUMBERS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """Safe loading, with YAML 1.1's base-60 numbers read as the text they look like: `samples: 12:30:45`
    is a typing slip, not 45,045 samples, and a time of day is not a number of anything here."""

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        tag = super().resolve(kind, value, implicit)
        if kind is ScalarNode and tag in _NUMBERS and ":" in value:
            return "tag:yaml.org,2002:str"
        return tag


@dataclass(frozen=True)
class YamlLimitError(Exception):
    """The text breaks a limit or is not YAML; line is 1-based, None when unknown; path is the
    dotted key path of the place where it happened, "" at the top or when unknown."""

    line: int | None
    message: str
    path: str = ""


def load(text: str) -> tuple[Any, Node | None]:
    """The data of a single-document YAML text and its node graph (for line numbers), within the limits."""
    root = compose(text)
    if root is None:
        return None, None
    constructor = _Constructor()
    try:
        return constructor.construct_document(root), root
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlLimitError(mark.line + 1 if mark else None, f"not valid YAML: {exc.problem or exc}",
                             _path_to(root, constructor.current)) from None
    except Exception as exc:  # a constructor meeting a value it cannot read (`!!bool maybe`, `!!int x`)
        node = constructor.current
        line = node.start_mark.line + 1 if node is not None else None
        raise YamlLimitError(line, f"not valid YAML: cannot read {_quoted(node)} as its tag says "
                                   f"({type(exc).__name__}: {exc})", _path_to(root, node)) from None


def _path_to(root: Node, target: Node | None) -> str:
    """The dotted key path of target in the graph (each node visited once), "" if not found."""
    stack: list[tuple[Node, tuple[str, ...]]] = [(root, ())]
    seen: set[int] = set()
    while stack and target is not None:
        node, path = stack.pop()
        if node is target:
            return ".".join(path)
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            stack.extend((child, (*path, str(i))) for i, child in enumerate(node.value))
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                name = key.value if isinstance(key, ScalarNode) else "?"
                stack.extend(((value, (*path, name)), (key, path)))
    return ""


class _Constructor(SafeConstructor):
    """PyYAML's safe constructor, remembering the node it is building, to say where it failed."""

    current: Node | None = None

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        self.current = node
        return super().construct_object(node, deep)


def _quoted(node: Node | None) -> str:
    if isinstance(node, ScalarNode):
        return f"{node.value[:40]!r} ({node.tag.rsplit(':', 1)[-1]})"
    return "a value"


def compose(text: str) -> Node | None:
    """The node graph of a single-document text, or None for an empty one; aliases stay shared.

    The parser's events are first checked against the limits without building anything (cheap, so
    a hostile file is refused in a fraction of the time its parse would take); only a text within
    them is composed, by libyaml's composer when it is installed."""
    if len(text) > MAX_BYTES:  # characters here; read_yaml checks the bytes before decoding
        raise YamlLimitError(None, f"the file is larger than {MAX_BYTES // 1_000_000} MB")
    _check(text)
    loader = _Loader(text)
    try:
        return loader.get_single_node()
    except yaml.MarkedYAMLError as exc:  # the check has parsed it already; kept for safety
        mark = exc.problem_mark or exc.context_mark
        raise YamlLimitError(mark.line + 1 if mark else None, f"not valid YAML: {exc.problem or exc}") from None
    finally:
        loader.dispose()


def _check(text: str) -> None:
    loader = _Loader(text)
    scan = _Scan(loader)
    try:
        scan.document()
    except YamlLimitError as exc:
        raise YamlLimitError(exc.line, exc.message, scan.where()) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlLimitError(mark.line + 1 if mark else None, f"not valid YAML: {exc.problem or exc}",
                             scan.where()) from None
    except yaml.YAMLError as exc:
        raise YamlLimitError(None, f"not valid YAML: {exc}", scan.where()) from None
    finally:
        loader.dispose()


class _Level:
    """A collection whose end has not been reached yet, and where in it the parser is."""

    __slots__ = ("anchor", "items", "key", "mapping", "start_count")

    def __init__(self, mapping: bool, anchor: str | None, start_count: int) -> None:
        self.mapping = mapping
        self.anchor = anchor
        self.start_count = start_count
        self.items = 0  # complete items so far (a mapping's keys and values both count)
        self.key: str | None = None  # a mapping's last scalar key


class _Scan:
    """Walks the events once, counting values as they would be with every alias expanded."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.sizes: dict[str, int] = {}  # anchor -> values in what it names, aliases expanded
        self.count = 0
        self.open: list[_Level] = []

    def where(self) -> str:
        """The key path of the value being read: where a problem was met."""
        parts: list[str] = []
        for level in self.open:
            if not level.mapping:
                parts.append(str(level.items))
            elif level.items % 2 and level.key is not None:
                parts.append(level.key)
        return ".".join(parts[:8]) + (".…" if len(parts) > 8 else "")

    def document(self) -> None:
        events = self.loader
        events.get_event()  # stream start
        if events.check_event(yaml.StreamEndEvent):
            return
        events.get_event()  # document start
        self._node()
        events.get_event()  # document end
        if not events.check_event(yaml.StreamEndEvent):
            event = events.get_event()
            raise YamlLimitError(event.start_mark.line + 1, "expected one document, found a second ('---')")

    def _node(self) -> None:
        get = self.loader.get_event
        while True:
            event = get()
            kind = type(event)
            scalar_key = None
            if kind is yaml.ScalarEvent:
                self._scalar(event)
                scalar_key = event.value
            elif kind is yaml.SequenceStartEvent or kind is yaml.MappingStartEvent:
                if len(self.open) >= MAX_DEPTH:
                    raise YamlLimitError(event.start_mark.line + 1, f"nested more than {MAX_DEPTH} levels deep")
                self.count += 1
                self.open.append(_Level(kind is yaml.MappingStartEvent, event.anchor, self.count))
                continue
            elif kind is yaml.SequenceEndEvent or kind is yaml.MappingEndEvent:
                done = self.open.pop()
                self._anchor(done.anchor, self.count - done.start_count + 1, event)
            elif kind is yaml.AliasEvent:
                self._alias(event)
            else:
                raise YamlLimitError(event.start_mark.line + 1, f"unexpected {kind.__name__}")
            if self.count > MAX_NODES:
                raise YamlLimitError(event.start_mark.line + 1,
                                     f"more than {MAX_NODES:,} values, counting what each alias repeats "
                                     "(a scenario or experiment holds a few hundred)")
            if not self.open:
                return
            parent = self.open[-1]
            if parent.mapping and parent.items % 2 == 0:
                parent.key = scalar_key
            parent.items += 1

    def _scalar(self, event: yaml.ScalarEvent) -> None:
        self.count += 1
        value = event.value
        if len(value) > MAX_DIGITS:
            tag = event.tag
            if tag is None or tag == "!":
                tag = self.loader.resolve(ScalarNode, value, event.implicit)
            digits = sum(c.isdigit() for c in value) if tag == "tag:yaml.org,2002:int" else 0
            if digits > MAX_DIGITS:
                raise YamlLimitError(event.start_mark.line + 1,
                                     f"a whole number of {digits} digits; numbers here have at most {MAX_DIGITS}")
        if event.anchor is not None:
            self._anchor(event.anchor, 1, event)

    def _alias(self, event: yaml.AliasEvent) -> None:
        anchor, line = event.anchor, event.start_mark.line + 1
        if anchor not in self.sizes:
            if any(level.anchor == anchor for level in self.open):
                raise YamlLimitError(line, f"the alias *{anchor} is inside the collection it names (an endless loop)")
            raise YamlLimitError(line, f"found undefined alias *{anchor}")
        self.count += self.sizes[anchor]

    def _anchor(self, anchor: str | None, size: int, event: yaml.Event) -> None:
        if anchor is None:
            return
        if anchor in self.sizes or any(level.anchor == anchor for level in self.open):
            raise YamlLimitError(event.start_mark.line + 1, f"the anchor &{anchor} is defined twice")
        self.sizes[anchor] = size
