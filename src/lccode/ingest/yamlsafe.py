"""YAML for manifests and codebooks: parsed into nodes with bounds, and never into Python objects by tag.

What this refuses, each with its line: aliases (`*name`; an alias bomb expands a few lines into billions of
values, and a manifest or codebook never needs one), explicit tags other than YAML's own (`!!python/object`),
nesting deeper than MAX_DEPTH (the composer recurses once per level) and duplicate keys in a mapping (YAML
keeps the last silently, so a second `id:` would win without a word). The checks run over the parser's event
stream, which needs no recursion, before any node is built.
"""

from __future__ import annotations

from pathlib import Path

from lccode.errors import InputError, Problem

MAX_DEPTH = 32
_STANDARD_TAG = "tag:yaml.org,2002:"
# YAML's own data types; "tag:yaml.org,2002:python/..." shares the prefix but asks a loader to build objects.
_ALLOWED_TAGS = {"!"} | {_STANDARD_TAG + t for t in ("str", "int", "float", "bool", "null", "seq", "map", "timestamp")}


def _loader():
    import yaml

    # libyaml's parser when installed: 30x faster on a full codebook, same events and line marks
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _syntax_error(exc, path: Path, expected: str | None) -> InputError:
    mark = getattr(exc, "problem_mark", None)
    if "nesting depth" in str(getattr(exc, "problem", None) or exc):  # libyaml's own bound (1,000 levels)
        return InputError(f"the YAML nests more than {MAX_DEPTH} levels deep", file=path,
                          line=mark.line + 1 if mark else None, expected=expected, fix="flatten the structure")
    return InputError(f"not valid YAML: {getattr(exc, 'problem', None) or exc}", file=path,
                      line=mark.line + 1 if mark else None, expected=expected, fix="correct the YAML syntax at that line")


def _check_events(text: str, path: Path, expected: str | None) -> None:
    import yaml

    depth = 0
    try:
        for ev in yaml.parse(text, Loader=_loader()):
            line = ev.start_mark.line + 1
            if isinstance(ev, yaml.AliasEvent):
                raise InputError(f"YAML alias '*{ev.anchor}' is not supported here", file=path, line=line,
                                 expected="every value written out in full",
                                 fix=f"replace '*{ev.anchor}' with the value it refers to")
            tag = getattr(ev, "tag", None)
            if tag and tag not in _ALLOWED_TAGS:
                raise InputError(f"YAML tag '{tag}' is not allowed", file=path, line=line,
                                 expected="plain values, lists and mappings", fix="remove the tag")
            if isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise InputError(f"the YAML nests more than {MAX_DEPTH} levels deep", file=path, line=line,
                                     expected=expected, fix="flatten the structure")
            elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, path, expected) from None


def duplicate_keys(root, path: Path) -> list[Problem]:
    """A problem for every key that appears twice in one mapping, or is itself a list or mapping."""
    import yaml

    problems, stack = [], [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for k, v in node.value:
                if not isinstance(k, yaml.ScalarNode):
                    problems.append(Problem("a key must be plain text, not a list or mapping", path,
                                            k.start_mark.line + 1, None, "key: value", "write the key as text"))
                else:
                    line = k.start_mark.line + 1
                    if k.value in first:
                        problems.append(Problem(f"duplicate key '{k.value}' (first on line {first[k.value]})", path,
                                                line, None, "each key once per mapping",
                                                "remove one of the two, or merge them"))
                    first.setdefault(k.value, line)
                stack.extend((k, v))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return sorted(problems, key=lambda p: p.line or 0)


def compose(text: str, path: Path, expected: str | None = None):
    """The document's root node (None for an empty document), after the checks in the module docstring."""
    import yaml

    _check_events(text, path, expected)
    try:
        root = yaml.compose(text, Loader=_loader())
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, path, expected) from None
    problems = duplicate_keys(root, path) if root is not None else []
    if problems:
        raise InputError(problems=problems)
    return root


def scalar(node) -> str | None:
    """A scalar node's text, '' for YAML's null; None when the node is a list or mapping."""
    import yaml

    if not isinstance(node, yaml.ScalarNode):
        return None
    if node.tag == _STANDARD_TAG + "null":
        return ""
    return node.value


def where(node) -> int:
    return node.start_mark.line + 1
