"""Edit JSON-with-comments files (VS Code's launch.json, tasks.json) without losing a byte.

VS Code's files carry comments and trailing commas that ``json`` rejects and that a
load-and-dump round trip would destroy. This module parses the text into a tree of nodes
that know their source spans, so a caller can replace or remove single array elements and
append new ones while every other character -- the user's comments, formatting and entries
-- stays exactly as it was.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import SmdebugError

_TOKEN = re.compile(
    r"""(?P<ws>\s+)
      | (?P<line_comment>//[^\n]*)
      | (?P<block_comment>/\*.*?\*/)
      | (?P<string>"(?:[^"\\\n]|\\.)*")
      | (?P<punct>[{}\[\]:,])
      | (?P<literal>[^\s{}\[\]:,"/]+)""",
    re.VERBOSE | re.DOTALL,
)


class JsoncError(SmdebugError):
    """The file is not valid JSON with comments."""


@dataclass
class Node:
    """A JSON value with its span in the source text."""

    kind: str  # "object", "array", "string" or "literal"
    start: int
    end: int
    items: list[Node] = field(default_factory=list)  # array elements / object values
    keys: list[str] = field(default_factory=list)  # object keys, parallel to items
    value: object = None  # for strings and literals

    def get(self, key: str) -> Node | None:
        """The value of ``key`` in an object node, or None."""
        if self.kind == "object" and key in self.keys:
            return self.items[self.keys.index(key)]
        return None

    def to_python(self):
        """The plain Python value of this node."""
        if self.kind == "object":
            return {k: v.to_python() for k, v in zip(self.keys, self.items)}
        if self.kind == "array":
            return [v.to_python() for v in self.items]
        return self.value


def _tokens(text: str):
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise JsoncError(f"unexpected character {text[pos]!r} at offset {pos}")
        pos = m.end()
        if m.lastgroup in ("ws", "line_comment", "block_comment"):
            continue
        yield m.lastgroup, m.group(), m.start(), m.end()
    yield "eof", "", len(text), len(text)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = list(_tokens(text))
        self.i = 0

    def peek(self):
        return self.tokens[self.i]

    def take(self, expected: str | None = None):
        token = self.tokens[self.i]
        if expected is not None and token[1] != expected:
            where = f"offset {token[2]}" if token[0] != "eof" else "end of file"
            raise JsoncError(f"expected {expected!r} at {where}, found {token[1]!r}")
        self.i += 1
        return token

    def value(self) -> Node:
        kind, text, start, end = self.take()
        if text == "{":
            node = Node("object", start, end)
            while self.peek()[1] != "}":
                key_kind, key, _, _ = self.take()
                if key_kind != "string":
                    raise JsoncError(f"expected a key string, found {key!r}")
                self.take(":")
                node.keys.append(json.loads(key))
                node.items.append(self.value())
                if self.peek()[1] != ",":
                    break
                self.take(",")  # a trailing comma is allowed, as in VS Code
            node.end = self.take("}")[3]
            return node
        if text == "[":
            node = Node("array", start, end)
            while self.peek()[1] != "]":
                node.items.append(self.value())
                if self.peek()[1] != ",":
                    break
                self.take(",")
            node.end = self.take("]")[3]
            return node
        if kind == "string":
            return Node("string", start, end, value=json.loads(text))
        if kind == "literal":
            try:
                return Node("literal", start, end, value=json.loads(text))
            except json.JSONDecodeError:
                raise JsoncError(f"invalid value {text!r} at offset {start}") from None
        raise JsoncError(f"unexpected {text or 'end of file'!r} at offset {start}")


def parse(text: str) -> Node:
    """Parse JSON with comments and trailing commas; raises :class:`JsoncError`."""
    parser = _Parser(text)
    root = parser.value()
    parser.take("")  # nothing may follow the top-level value
    return root


def _indent_of(text: str, pos: int) -> str:
    line = text[text.rfind("\n", 0, pos) + 1 :]
    return line[: len(line) - len(line.lstrip(" \t"))]


def _render(obj: object, unit: int, comments: Mapping[str, str]) -> list[str]:
    """``obj`` as indented JSON lines, with a ``// comment`` line above each member whose
    key is in ``comments`` (a comment of ours says why an entry is there)."""
    lines = []
    for line in json.dumps(obj, indent=unit).split("\n"):
        stripped = line.lstrip()
        for key, comment in comments.items():
            if stripped.startswith(json.dumps(key) + ":"):
                lines.append(line[: len(line) - len(stripped)] + "// " + comment)
        lines.append(line)
    return lines


def replace_items(
    text: str,
    array: Node,
    drop: list[Node],
    add: list[object],
    comments: Mapping[str, str] | None = None,
) -> str:
    """Remove the ``drop`` elements of ``array`` and append ``add`` (as JSON), in ``text``.

    Everything else in ``text`` is kept as it was: comments, commas, the user's elements.
    An element's removal span runs from the separator before it (the previous element's
    comma, or the opening bracket) to its own end and comma, so removing and re-adding the
    same entries gives back the same text. ``comments`` puts a comment line above the
    added members with those keys.
    """
    comma = re.compile(r"\s*,")
    keep = [n for n in array.items if n not in drop]
    edits: list[tuple[int, int, str]] = []
    previous_end = array.start + 1
    for node in array.items:
        after = comma.match(text, node.end)
        end = after.end() if after else node.end
        if node in drop:
            edits.append((previous_end, end, ""))
        previous_end = end
    if add:
        array_indent = _indent_of(text, array.start)
        child_indent = _indent_of(text, keep[0].start) if keep else array_indent + "  "
        unit = max(len(child_indent) - len(array_indent), 2)  # the file's own indent step
        rendered = [
            "\n".join(
                child_indent + line if i else line
                for i, line in enumerate(_render(obj, unit, comments or {}))
            )
            for obj in add
        ]
        insertion = "".join(f",\n{child_indent}{r}" for r in rendered)[1:]
        if keep:
            after = comma.match(text, keep[-1].end)
            at = after.end() if after else keep[-1].end
            edits.append((at, at, ("" if after else ",") + insertion))
        else:
            closing = "" if "\n" in text[array.start : array.end] else "\n" + array_indent
            edits.append((array.start + 1, array.start + 1, insertion + closing))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text
