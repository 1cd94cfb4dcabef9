"""Offline JSON-LD processing for Data Integrity proofs (pyld), in "safe mode".

Three guarantees this module gives the signing/verifying code:

1. **No network, ever.**  The document loader answers only the context URLs listed
   in :data:`CONTEXT_FILES` from the files in ``badges/core/contexts/`` (see
   ``SOURCES.md`` there for origin and licence) and raises :class:`ContextNotFound`
   for anything else.  It is passed explicitly to every pyld call; pyld's global
   default loader (which would use the network) is never relied on.  City networks
   often have no internet and ``w3id.org`` redirects have broken before
   (openbadges.md, pitfall 2.0-1).
2. **Safe mode.**  JSON-LD expansion silently *drops* properties that the contexts do
   not define, and RDF conversion silently drops relative IRIs.  Dropped data is not
   covered by the signature, so someone could add or change such a property in a
   signed credential without breaking it.  (Our bundled VC 2.0 context has no
   ``@vocab`` fallback, so this is real: see the tests.)  jsonld.js has a
   ``safe: true`` option for this; pyld 3.3 has none, but
   ``JsonLdProcessor(on_property_dropped=...)`` calls a hook for each dropped
   property, which we make raise.  After expansion we also walk the result and
   reject relative ``@id``/``@type`` IRIs and ``@value``-less leftovers that
   ``toRdf`` would drop.  Canonicalisation then runs on the expanded form with the
   same loader.
3. **Bounded work.**  RDFC-1.0 is exponential on graphs with many indistinguishable blank
   nodes (a 4 KB credential with 8 identical ``rubricCriterionLevel`` entries in two
   ``resultDescription``s took 14 s, 9 entries about 2 minutes), and pyld's node map is
   quadratic in the values one property of one node collects.  pyld 3.3 has no limit, so
   before RDF conversion the expanded document's blank nodes and node-map comparisons are
   counted against :class:`WorkLimits`, and the canonicaliser is pyld's own ``URDNA2015``
   with a work counter around Hash N-Degree Quads (one unit per call plus one per
   permutation it will try), like rdf-canonize's ``maxWorkFactor``/``maxDeepIterations``
   in the JavaScript reference implementation.  Over a limit, or past the deadline set
   with :func:`time_limit` (checked in the same places and while expanding and building
   the node map), it raises :class:`TooComplex` (``too_complex``).  The algorithm itself is
   untouched, so the N-Quads of every document within the limits are exactly pyld's.

Canonicalisation is RDFC-1.0, which pyld calls ``URDNA2015`` (same algorithm,
renamed when standardised), output as N-Quads.
"""

from __future__ import annotations

import copy
import json
import math
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pyld import jsonld as _pyld
from pyld.canon import URDNA2015
from pyld.context_resolver import ContextResolver
from pyld.identifier_issuer import IdentifierIssuer

__all__ = [
    "CONTEXTS_DIR",
    "CONTEXT_FILES",
    "DEFAULT_LIMITS",
    "CanonicalizationError",
    "ContextNotFound",
    "DocumentLoader",
    "OfflineDocumentLoader",
    "TooComplex",
    "UndefinedTermError",
    "WorkLimits",
    "canonicalize",
    "check_deadline",
    "document_loader",
    "expand_safe",
    "make_document_loader",
    "time_limit",
]

CONTEXTS_DIR: Final = Path(__file__).resolve().parent / "contexts"

# URL -> file, as in contexts/SOURCES.md.  Keep the two in step.
CONTEXT_FILES: Final[Mapping[str, str]] = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://w3id.org/security/data-integrity/v2": "data-integrity-v2.jsonld",
    "https://www.w3.org/ns/did/v1": "did-v1.jsonld",
    "https://www.w3.org/ns/credentials/status/v1": "vc-bitstring-status-list-v1.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-v3p0-context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json": "ob-v3p0-context-3.0.2.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json": "ob-v3p0-context-3.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context.json": "ob-v3p0-context.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json": "ob-v3p0-extensions.json",
}

DocumentLoader = Callable[[str, Any], dict[str, Any]]

_cache: dict[str, Any] = {}
_cache_lock = threading.Lock()


class CanonicalizationError(ValueError):
    """The document could not be canonicalised.  ``code`` says why:

    ``unknown_context`` (a context URL we do not bundle), ``undefined_term`` (safe
    mode: data the contexts do not define), ``too_deep`` (pyld recursion limit),
    ``too_complex`` (a work limit or the deadline, :class:`TooComplex`),
    ``jsonld_error`` (anything else pyld rejected).
    """

    code: str = "jsonld_error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class ContextNotFound(CanonicalizationError):
    code = "unknown_context"


class UndefinedTermError(CanonicalizationError):
    code = "undefined_term"


class TooComplex(CanonicalizationError):
    """Processing stopped at a limit.  ``limit`` says which: ``blank_nodes``, ``node_map``
    (values merged into one property of one node), ``work`` (Hash N-Degree Quads) or
    ``deadline`` (the time limit of :func:`time_limit`)."""

    code = "too_complex"

    def __init__(self, message: str, limit: str) -> None:
        super().__init__(message)
        self.limit = limit


@dataclass(frozen=True)
class WorkLimits:
    """How much work one canonicalisation may do (defaults: :data:`DEFAULT_LIMITS`).

    ``max_blank_nodes``: blank nodes in the document (node objects without ``@id`` and list
    items).  ``max_node_map_work``: comparisons pyld's node map makes to keep the values of
    one property of one node unique (n values cost n(n-1)/2).  Hash N-Degree Quads may spend
    ``non_unique ** work_factor`` units, where ``non_unique`` is the number of blank nodes the
    first-degree hashes cannot tell apart (rdf-canonize's ``maxWorkFactor``; its default is
    1, linear), but never less than ``min_work`` (small graphs) nor more than ``max_work``.
    """

    max_blank_nodes: int = 1_000
    max_node_map_work: int = 200_000
    work_factor: int = 2
    min_work: int = 1_000
    max_work: int = 20_000


DEFAULT_LIMITS: Final = WorkLimits()

# The moment (time.monotonic) by which processing must stop; None: no deadline. A context
# variable, so each request thread (and asyncio task) has its own.
_deadline: ContextVar[float | None] = ContextVar("badges_jsonld_deadline", default=None)


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Stop JSON-LD processing that runs longer than ``seconds`` from now (nested limits:
    the earlier deadline wins).  Checked cooperatively, see :func:`check_deadline`."""
    deadline = time.monotonic() + seconds
    outer = _deadline.get()
    token = _deadline.set(deadline if outer is None else min(outer, deadline))
    try:
        yield
    finally:
        _deadline.reset(token)


def check_deadline() -> None:
    """Raise :class:`TooComplex` if the deadline of :func:`time_limit` has passed."""
    deadline = _deadline.get()
    if deadline is not None and time.monotonic() >= deadline:
        raise TooComplex("the time limit for processing this document has passed", "deadline")


def _load_bundled(url: str) -> Any:
    """Parse a bundled context once per process and keep it in memory."""
    with _cache_lock:
        if url not in _cache:
            path = CONTEXTS_DIR / CONTEXT_FILES[url]
            _cache[url] = json.loads(path.read_text(encoding="utf-8"))
        return _cache[url]


class _BoundedCache(MutableMapping[str, Any]):
    """Small thread-safe LRU map for pyld's ContextResolver (web threads share it)."""

    def __init__(self, maxsize: int = 256) -> None:
        self._data: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._maxsize = maxsize

    def __getitem__(self, key: str) -> Any:
        with self._lock:
            value = self._data[key]
            self._data.move_to_end(key)
            return value

    def __setitem__(self, key: str, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._maxsize:
                self._data.popitem(last=False)

    def __delitem__(self, key: str) -> None:
        with self._lock:
            del self._data[key]

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            return iter(list(self._data))

    def __len__(self) -> int:
        return len(self._data)


class OfflineDocumentLoader:
    """pyld document loader serving bundled contexts plus ``extra`` (URL -> JSON).

    Each loader owns the cache of *processed* contexts that pyld keeps between
    calls.  We deliberately do not use pyld's process-wide cache: it is keyed by
    URL only, so a context resolved through a different (e.g. networked, or test)
    loader elsewhere in the process would be served to us without our loader
    being asked.  ``extra`` exists for tests (e.g. the W3C examples context used by
    the vc-di-eddsa test vector); production code uses :data:`document_loader`.
    """

    def __init__(self, extra: Mapping[str, Any] | None = None) -> None:
        self._extra = {url: copy.deepcopy(doc) for url, doc in (extra or {}).items()}
        self.resolved_contexts: MutableMapping[str, Any] = _BoundedCache()
        # Scoped contexts processed against a cached active context (see _Processor).
        self.processed_contexts: MutableMapping[Any, Any] = _BoundedCache(maxsize=512)

    def __call__(self, url: str, options: Any = None) -> dict[str, Any]:
        if url in self._extra:
            doc = self._extra[url]
        elif url in CONTEXT_FILES:
            doc = _load_bundled(url)
        else:
            # Never fall back to the network; a credential that needs a context we
            # do not ship cannot be processed here.
            raise ContextNotFound(f"JSON-LD context not available offline: {url[:200]}")
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            # Deep copy: pyld must never be able to mutate the shared parsed file.
            "document": copy.deepcopy(doc),
            # "static" lets pyld keep the processed context in resolved_contexts, so
            # each file is fetched and processed once per loader, not per call.
            "tag": "static",
        }


def make_document_loader(extra: Mapping[str, Any] | None = None) -> OfflineDocumentLoader:
    return OfflineDocumentLoader(extra)


document_loader: Final = OfflineDocumentLoader()


_FROZEN = type(_pyld.freeze({}))  # pyld's immutable mapping for processed contexts


def _owned_context_ids(active_ctx: Any, memo: MutableMapping[Any, Any]) -> frozenset[int]:
    """ids of the scoped contexts inside ``active_ctx``'s term definitions (computed once)."""
    key = ("owned", active_ctx["_uuid"])
    hit = memo.get(key)
    if hit is not None and hit[0] is active_ctx:
        return hit[1]  # type: ignore[no-any-return]
    owned = frozenset(
        id(definition["@context"])
        for definition in active_ctx.get("mappings", {}).values()
        if isinstance(definition, Mapping) and "@context" in definition
    )
    memo[key] = (active_ctx, owned)
    return owned


class _Processor(_pyld.JsonLdProcessor):  # type: ignore[misc]  # PyLD has no type information
    """pyld's processor with a memo for *scoped* contexts (type- and property-scoped).

    pyld caches a processed context per (context, active context ``_uuid``), which works for
    the document's top-level ``@context``. But a type-scoped context does not propagate, so
    pyld first clones the active context into a fresh dict with a fresh ``_uuid`` and then
    looks the clone up in its cache: a miss every time. With the OB 3.0 and VC 2.0 contexts
    that meant about a hundred term definitions re-created for every credential (about half
    the expansion time, measured by scripts/bench_issuance.py).

    Processing a context is a pure function of its inputs: the active context (pyld freezes
    the ones it caches, so one ``_uuid`` is one immutable context), the local context (here:
    the very object inside that frozen active context's term definition, or context URLs,
    which the offline loader always answers the same way), the flags and the base. So the
    result is memoised per loader under exactly those inputs, only when the active context
    is frozen and the result is frozen too (never a mutable context someone might change),
    and a hit is checked by identity, not just by key. Context objects that come from the
    document being processed (not from a term definition of the bundled contexts) are never
    memoised: a verifier must not keep an uploader's data.
    """

    def _process_context(  # type: ignore[no-untyped-def]
        self,
        active_ctx,
        local_ctx,
        options,
        override_protected=False,
        propagate=True,
        validate_scoped=True,
        cycles=None,
    ):
        memo = getattr(options.get("documentLoader"), "processed_contexts", None)
        if memo is None or not isinstance(active_ctx, _FROZEN) or "_uuid" not in active_ctx:
            return super()._process_context(
                active_ctx, local_ctx, options, override_protected, propagate, validate_scoped, cycles
            )
        by_value = isinstance(local_ctx, str)
        if not by_value and id(local_ctx) not in _owned_context_ids(active_ctx, memo):
            # A context object from the document itself (untrusted input): not memoised, so
            # nobody can make us keep their data.
            return super()._process_context(
                active_ctx, local_ctx, options, override_protected, propagate, validate_scoped, cycles
            )
        key = (
            active_ctx["_uuid"],
            local_ctx if by_value else id(local_ctx),
            override_protected,
            propagate,
            validate_scoped,
            options.get("base"),
        )
        hit = memo.get(key)
        if hit is not None and hit[0] is active_ctx and (by_value or hit[1] is local_ctx):
            return hit[2]
        result = super()._process_context(
            active_ctx, local_ctx, options, override_protected, propagate, validate_scoped, cycles
        )
        if isinstance(result, _FROZEN):
            # Strong references to both inputs: their ids cannot be reused while cached.
            memo[key] = (active_ctx, local_ctx, result)
        return result

    # The deadline is checked once per element expanded and per node-map entry: between two
    # checks pyld does at most one element's work (or one add_value, which node_map_work bounds).
    def _expand(self, *args: Any, **kwargs: Any) -> Any:
        check_deadline()
        return super()._expand(*args, **kwargs)

    def _create_node_map(self, *args: Any, **kwargs: Any) -> Any:
        check_deadline()
        return super()._create_node_map(*args, **kwargs)

    def to_rdf_expanded(self, expanded: list[Any], options: Mapping[str, Any]) -> dict[str, Any]:
        """pyld's ``to_rdf`` minus its first step: ``to_rdf`` expands its input again, and
        here the input is what :func:`expand_safe` already expanded and checked (expanding an
        expanded document gives it back, so the work was only repeated). The remaining steps
        are pyld's own, in its order: node map of every graph, then RDF of each graph whose
        name is the default or an absolute IRI. ``test_fast_paths`` compares the result with
        plain ``pyld.normalize``."""
        issuer = IdentifierIssuer("_:b")
        node_map: dict[str, Any] = {"@default": {}}
        self._create_node_map(expanded, node_map, "@default", issuer)
        rdf_options = {"produceGeneralizedRdf": False, **options}
        dataset: dict[str, Any] = {}
        for graph_name, graph in sorted(node_map.items()):
            if graph_name == "@default" or _pyld._is_absolute_iri(graph_name):
                dataset[graph_name] = self._graph_to_rdf(graph, issuer, rdf_options)
        return dataset


def _options(loader: DocumentLoader) -> dict[str, Any]:
    cache = getattr(loader, "resolved_contexts", None)
    return {
        "documentLoader": loader,
        # A fresh dict for foreign loaders: never pyld's global, URL-keyed cache.
        "contextResolver": ContextResolver(cache if cache is not None else {}, loader),
        "base": None,  # no base IRI: relative ids stay relative and get rejected
        "processingMode": "json-ld-1.1",
    }


def _raise_dropped(expanded_property: str | None) -> None:
    raise UndefinedTermError(f"property not defined by the JSON-LD context: {str(expanded_property)[:100]}")


def _is_absolute_iri(value: str) -> bool:
    # Same test pyld uses (a scheme followed by ':'), plus blank node ids.
    if value.startswith("_:"):
        return True
    scheme, sep, _ = value.partition(":")
    return bool(sep) and scheme[:1].isalpha() and all(c.isalnum() or c in "+-." for c in scheme)


def _check_expanded(node: Any) -> None:
    """Reject what pyld's toRdf would silently drop from expanded JSON-LD.

    Iterative (no recursion) because input depth is attacker-controlled -- callers
    cap depth anyway, but this keeps the check safe on its own.
    """
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        if "@id" in item and isinstance(item["@id"], str) and not _is_absolute_iri(item["@id"]):
            raise UndefinedTermError(f"relative @id is not allowed: {item['@id'][:100]}")
        types = item.get("@type")
        if "@value" not in item and types is not None:
            for t in types if isinstance(types, list) else [types]:
                if isinstance(t, str) and not _is_absolute_iri(t):
                    raise UndefinedTermError(f"type not defined by the JSON-LD context: {t[:100]}")
        if "@value" in item and item["@value"] is None:
            raise UndefinedTermError("null @value")
        stack.extend(v for k, v in item.items() if k not in ("@id", "@type", "@value"))


def expand_safe(doc: Mapping[str, Any], *, loader: DocumentLoader | None = None) -> list[Any]:
    """JSON-LD expansion that raises instead of dropping data (see module docstring)."""
    options = _options(loader or document_loader)
    proc = _Processor(on_property_dropped=_raise_dropped)
    try:
        expanded = proc.expand(copy.deepcopy(dict(doc)), options)
    except CanonicalizationError:
        raise
    except RecursionError:
        raise CanonicalizationError("JSON-LD input is nested too deeply", "too_deep") from None
    except Exception as exc:
        # Deliberately broad: this is the boundary where untrusted input meets a
        # third-party library, and pyld raises more than JsonLdError on odd input
        # (e.g. a bare ValueError from its IRI resolver for {"@context": "@json"},
        # found by fuzzing).  Callers get one error type with a code.
        raise _translate(exc) from exc
    _check_expanded(expanded)
    return expanded  # type: ignore[no-any-return]


def _translate(exc: BaseException) -> CanonicalizationError:
    """Map a pyld error to ours, keeping our own error if it is in the cause chain."""
    seen: BaseException | None = exc
    for _ in range(32):  # bounded: a cyclic cause chain must not loop forever
        if seen is None:
            break
        if isinstance(seen, CanonicalizationError):
            return seen
        # pyld wraps loader failures in JsonLdError(details={'cause': ...}).
        details = getattr(seen, "details", None)
        if isinstance(details, dict) and isinstance(details.get("cause"), CanonicalizationError):
            return details["cause"]  # type: ignore[no-any-return]
        seen = seen.__cause__ or getattr(seen, "cause", None)
    return CanonicalizationError(f"JSON-LD processing failed: {str(exc)[:200]}")


def _measure_expanded(expanded: Any, limits: WorkLimits) -> None:
    """Count, in expanded JSON-LD, what makes RDF conversion and canonicalisation expensive.

    * blank nodes: node objects without an ``@id`` (``_:`` ids are refused before this for
      untrusted input) and one per ``@list`` item (``rdf:first``/``rdf:rest`` nodes);
    * node-map work: pyld's ``_create_node_map`` adds each value of a property to its node
      with ``add_value(allowDuplicate=False)``, which compares it with every value already
      there, so n values of one property of one node (merged over every object with the
      same ``@id``) cost n(n-1)/2 comparisons: 3,000 values took 2.5 s.

    Iterative, like :func:`_check_expanded`; raises :class:`TooComplex`.
    """
    blank_nodes = 0
    values: Counter[tuple[Any, str]] = Counter()
    stack = [expanded]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict) or "@value" in item:
            continue
        if "@list" in item:
            items = item["@list"] if isinstance(item["@list"], list) else [item["@list"]]
            blank_nodes += len(items)
            stack.extend(items)
            continue
        node = item.get("@id")
        if not isinstance(node, str) or node.startswith("_:"):
            blank_nodes += 1
            node = id(item)  # a node of its own: nothing merges into it
        for key, value in item.items():
            if key in ("@id", "@value"):
                continue
            count = len(value) if isinstance(value, list) else 1
            if not key.startswith("@") or key == "@type":
                values[(node, key)] += count
            stack.append(value)
        if blank_nodes > limits.max_blank_nodes:
            raise TooComplex(f"more than {limits.max_blank_nodes} blank nodes", "blank_nodes")
    work = sum(n * (n - 1) // 2 for n in values.values())
    if work > limits.max_node_map_work:
        raise TooComplex(f"node map work {work} over {limits.max_node_map_work}", "node_map")


def _permutations(n: int) -> int:
    # n! without computing huge factorials: anything above 12! is over every budget anyway.
    return math.factorial(n) if n <= 12 else 10**12


class _BoundedURDNA2015(URDNA2015):  # type: ignore[misc]
    """pyld's RDFC-1.0 with a work counter on Hash N-Degree Quads (the exponential part).

    Each call costs one unit, and each group of k related blank nodes with the same hash that
    the call goes on to permute costs k! units (pyld tries every permutation, see
    ``hash_n_degree_quads`` step 5.4), charged before the permutations run. The budget is
    fixed at the first call, when ``hash_to_blank_nodes`` holds exactly the blank nodes the
    first-degree hashes could not tell apart (step 6). Only counting is added: the methods
    called are pyld's, so the output within the budget is pyld's, byte for byte.
    """

    def __init__(self, limits: WorkLimits) -> None:
        super().__init__()
        self.limits = limits
        self.budget: int | None = None
        self.work = 0

    def _spend(self, units: int) -> None:
        if self.budget is None:
            non_unique = sum(len(ids) for ids in self.hash_to_blank_nodes.values())
            wanted = non_unique**self.limits.work_factor
            self.budget = min(self.limits.max_work, max(self.limits.min_work, wanted))
        self.work += units
        if self.work > self.budget:
            raise TooComplex(f"canonicalisation work over {self.budget} units", "work")
        check_deadline()

    def hash_n_degree_quads(self, id_: str, issuer: Any) -> Any:
        self._spend(1)
        return super().hash_n_degree_quads(id_, issuer)

    def create_hash_to_related(self, id_: str, issuer: Any) -> Any:
        related = super().create_hash_to_related(id_, issuer)
        self._spend(sum(_permutations(len(nodes)) for nodes in related.values() if len(nodes) > 1))
        return related


def canonicalize(
    doc: Mapping[str, Any],
    *,
    loader: DocumentLoader | None = None,
    limits: WorkLimits = DEFAULT_LIMITS,
) -> str:
    """RDFC-1.0 (URDNA2015) canonical N-Quads of ``doc``, offline, in safe mode, bounded.

    Raises :class:`CanonicalizationError` (with ``code``) for unknown contexts,
    undefined terms and malformed JSON-LD, and :class:`TooComplex` over ``limits`` or past
    the deadline of :func:`time_limit`.  Callers handling untrusted input must bound its
    size and depth first (``credentials.check_json_limits``).

    What pyld's ``normalize(algorithm="URDNA2015")`` does, in its steps (RDF conversion of
    the expanded document, then the canonicaliser), with the measuring in between and the
    bounded canonicaliser, which ``normalize`` has no way to take.
    """
    load = loader or document_loader
    expanded = expand_safe(doc, loader=load)
    proc = _Processor(on_property_dropped=_raise_dropped)
    try:
        _measure_expanded(expanded, limits)
        options = {**_options(load), "algorithm": "URDNA2015", "extractAllScripts": True}
        dataset = proc.to_rdf_expanded(expanded, {**options, "produceGeneralizedRdf": False})
        check_deadline()
        result = _BoundedURDNA2015(limits).main(dataset, {**options, "format": "application/n-quads"})
    except CanonicalizationError:
        raise
    except RecursionError:
        raise CanonicalizationError("JSON-LD input is nested too deeply", "too_deep") from None
    except Exception as exc:  # same boundary reasoning as in expand_safe
        raise _translate(exc) from exc
    if not isinstance(result, str):  # pragma: no cover - pyld contract
        raise CanonicalizationError("unexpected canonicalisation output")
    return result
