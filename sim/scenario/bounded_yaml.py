"""Parse YAML with hard bounds, so that a hostile or oversized file is refused within a second.

PyYAML's own composer recurses once per level of nesting, and anything that walks its result
(construction, validation, our line map) visits an aliased collection once per alias: eight lines
of nested aliases ("billion laughs") expand to 10^9 nodes, and `&a [*a]` to an endless loop. This
composer builds the same node graph from the parser's events without recursion, and counts every
node as it would be once aliases are expanded, so it stops at the first node over a limit with the
line where that happened. libyaml's C parser produces the events when it is installed (about 20x
faster than the pure-Python one), and itself refuses nesting deeper than 1,000 levels.
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

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
    """The node graph of a single-document text, or None for an empty one; aliases stay shared."""
    if len(text) > MAX_BYTES:
        raise YamlLimitError(None, f"the file is larger than {MAX_BYTES // 1_000_000} MB")
    loader = _Loader(text)
    composer = _Composer(loader)
    try:
        return composer.document()
    except YamlLimitError as exc:
        raise YamlLimitError(exc.line, exc.message, composer.where()) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlLimitError(mark.line + 1 if mark else None, f"not valid YAML: {exc.problem or exc}",
                             composer.where()) from None
    except yaml.YAMLError as exc:
        raise YamlLimitError(None, f"not valid YAML: {exc}", composer.where()) from None
    finally:
        loader.dispose()


def top_level_keys(text: str) -> set[str]:
    """The keys of a mapping document's top level, from the parser's events alone (no values are built,
    so this is cheap whatever the file holds); empty if the text is not a YAML mapping."""
    if len(text) > MAX_BYTES:
        return set()
    loader = _Loader(text)
    keys: set[str] = set()
    depth, is_key = 0, True  # inside the top mapping (depth 1), items alternate: key, value, key, ...
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.CollectionStartEvent):
                if depth == 0 and not isinstance(event, yaml.MappingStartEvent):
                    return set()
                depth += 1
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
                if depth == 0:
                    break
                if depth == 1:  # a list or mapping item of the top level is complete
                    is_key = not is_key
            elif isinstance(event, yaml.ScalarEvent | yaml.AliasEvent) and depth == 1:
                if is_key and isinstance(event, yaml.ScalarEvent):
                    keys.add(event.value)
                is_key = not is_key
    except yaml.YAMLError:
        return set()
    finally:
        loader.dispose()
    return keys


class _Open:
    """A collection whose end has not been reached yet."""

    __slots__ = ("anchor", "key", "node", "start_count")

    def __init__(self, node: SequenceNode | MappingNode, anchor: str | None, start_count: int) -> None:
        self.node = node
        self.anchor = anchor
        self.start_count = start_count
        self.key: Node | None = None  # a mapping's key waiting for its value


class _Composer:
    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.anchors: dict[str, Node] = {}
        self.sizes: dict[int, int] = {}  # id(anchored node) -> its node count with aliases expanded
        self.count = 0
        self.open: list[_Open] = []

    def document(self) -> Node | None:
        events = self.loader
        events.get_event()  # stream start
        if events.check_event(yaml.StreamEndEvent):
            return None
        events.get_event()  # document start
        root = self._node()
        events.get_event()  # document end
        if not events.check_event(yaml.StreamEndEvent):
            event = events.get_event()
            raise YamlLimitError(event.start_mark.line + 1, "expected one document, found a second ('---')")
        return root

    def where(self) -> str:
        """The key path of the value being read: where a problem was met."""
        parts: list[str] = []
        for level in self.open:
            if isinstance(level.node, SequenceNode):
                parts.append(str(len(level.node.value)))
            elif isinstance(level.key, ScalarNode):
                parts.append(level.key.value)
        return ".".join(parts[:8]) + (".…" if len(parts) > 8 else "")

    def _node(self) -> Node:
        while True:
            event = self.loader.get_event()
            line = event.start_mark.line + 1
            node: Node
            if isinstance(event, yaml.AliasEvent):
                node = self._alias(event.anchor, line)
            elif isinstance(event, yaml.ScalarEvent):
                node = self._scalar(event, line)
            elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                self._start(event, line)
                continue
            elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                node = self._end(event)
            else:
                raise YamlLimitError(line, f"unexpected {type(event).__name__}")
            if self.count > MAX_NODES:
                raise YamlLimitError(line, f"more than {MAX_NODES:,} values, counting what each alias repeats "
                                           "(a scenario or experiment holds a few hundred)")
            if not self.open:
                return node
            self._attach(node)

    def _alias(self, anchor: str, line: int) -> Node:
        if anchor not in self.anchors:
            if any(o.anchor == anchor for o in self.open):
                raise YamlLimitError(line, f"the alias *{anchor} is inside the collection it names (an endless loop)")
            raise YamlLimitError(line, f"found undefined alias *{anchor}")
        node = self.anchors[anchor]
        self.count += self.sizes[id(node)]
        return node

    def _scalar(self, event: yaml.ScalarEvent, line: int) -> ScalarNode:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(ScalarNode, event.value, event.implicit)
        if len(event.value) > MAX_DIGITS and tag == "tag:yaml.org,2002:int":
            digits = sum(c.isdigit() for c in event.value)
            if digits > MAX_DIGITS:
                raise YamlLimitError(line, f"a whole number of {digits} digits; numbers here have at most {MAX_DIGITS}")
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
        self.count += 1
        if event.anchor is not None:
            self._anchor(event.anchor, node, 1, line)
        return node

    def _start(self, event: yaml.CollectionStartEvent, line: int) -> None:
        if len(self.open) >= MAX_DEPTH:
            raise YamlLimitError(line, f"nested more than {MAX_DEPTH} levels deep")
        kind = SequenceNode if isinstance(event, yaml.SequenceStartEvent) else MappingNode
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(kind, None, event.implicit)
        node = kind(tag, [], event.start_mark, None, flow_style=event.flow_style)
        self.count += 1
        self.open.append(_Open(node, event.anchor, self.count))

    def _end(self, event: yaml.Event) -> Node:
        done = self.open.pop()
        done.node.end_mark = event.end_mark
        self._anchor(done.anchor, done.node, self.count - done.start_count + 1, event.start_mark.line + 1)
        return done.node

    def _anchor(self, anchor: str | None, node: Node, size: int, line: int) -> None:
        if anchor is None:
            return
        if anchor in self.anchors:
            raise YamlLimitError(line, f"the anchor &{anchor} is defined twice")
        self.anchors[anchor] = node
        self.sizes[id(node)] = size

    def _attach(self, node: Node) -> None:
        parent = self.open[-1]
        if isinstance(parent.node, SequenceNode):
            parent.node.value.append(node)
        elif parent.key is None:
            parent.key = node
        else:
            parent.node.value.append((parent.key, node))
            parent.key = None
