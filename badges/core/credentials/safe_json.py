"""Untrusted JSON, parsed safely: size, depth, node count, duplicate keys and blank-node ids
are checked before pyld sees anything (it recurses, and canonicalisation is exponential on
crafted graphs)."""

from __future__ import annotations

import json
import re
from typing import Any

from .common import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, DEFAULT_MAX_NODES, CredentialError

# ============================================================ safe JSON handling

# Characters that matter for nesting: quotes, backslashes and brackets.
_STRUCTURAL = re.compile(r'["\\\[\]{}]')


def _prescan_depth(text: str, max_depth: int) -> None:
    """Reject over-deep JSON *before* json.loads, which recurses in C and Python.

    Scans only structural characters, tracking whether we are inside a string and
    which character a backslash escapes.  Malformed input is left for json.loads.
    """
    depth = 0
    in_string = False
    escaped_at = -1
    for match in _STRUCTURAL.finditer(text):
        i = match.start()
        if i == escaped_at:
            continue
        ch = text[i]
        if in_string:
            if ch == "\\":
                escaped_at = i + 1
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > max_depth:
                raise CredentialError("too_deep", "JSON is nested too deeply")
        elif ch in "]}":
            depth -= 1


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Duplicate keys are legal-ish JSON but parsers disagree on which one wins, so a
    # signature checked over one reading could be shown with the other.  Refuse.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise CredentialError("duplicate_key", "JSON object has a duplicate key")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise CredentialError("invalid_json", f"{name} is not valid JSON")


def parse_credential_json(
    text: str | bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> dict[str, Any]:
    """Parse untrusted credential JSON into a dict; raises only :class:`CredentialError`."""
    if isinstance(text, (bytes, bytearray)):
        if len(text) > max_bytes:
            raise CredentialError("too_large", "JSON document is too large")
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise CredentialError("invalid_json", "JSON is not valid UTF-8") from None
    if not isinstance(text, str):
        raise CredentialError("invalid_json", "expected text")
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise CredentialError("too_large", "JSON document is too large")
    _prescan_depth(text, max_depth)
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except CredentialError:
        raise
    except (ValueError, RecursionError) as exc:
        # JSONDecodeError and the int-digits limit are ValueErrors.
        raise CredentialError("invalid_json", f"invalid JSON: {str(exc)[:120]}") from None
    if not isinstance(value, dict):
        raise CredentialError("not_object", "a credential must be a JSON object")
    check_json_limits(value, max_depth=max_depth, max_nodes=max_nodes)
    return value


def check_json_limits(
    value: Any,
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> None:
    """Check that ``value`` is plain, bounded JSON data, without recursion.

    Also refuses blank-node identifiers (strings or keys starting ``_:``): our
    credentials never use them, and they are the only way to build the cyclic
    blank-node graphs that make RDF canonicalisation explode.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    nodes = 0
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            raise CredentialError("too_many_nodes", "JSON document has too many values")
        if isinstance(item, dict):
            if depth > max_depth:
                raise CredentialError("too_deep", "JSON is nested too deeply")
            for key, child in item.items():
                if not isinstance(key, str):
                    raise CredentialError("invalid_value", "JSON object keys must be strings")
                if key.startswith("_:"):
                    raise CredentialError("blank_node_id", "blank node identifiers are not allowed")
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            if depth > max_depth:
                raise CredentialError("too_deep", "JSON is nested too deeply")
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            if item.startswith("_:"):
                raise CredentialError("blank_node_id", "blank node identifiers are not allowed")
        elif isinstance(item, float):
            if item != item or item in (float("inf"), float("-inf")):
                raise CredentialError("invalid_value", "NaN/Infinity are not JSON")
        elif item is None or isinstance(item, (bool, int)):
            pass
        else:
            raise CredentialError("invalid_value", f"{type(item).__name__} is not a JSON value")
