"""Catalog reads that are more than one ORM call."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Case, Q, QuerySet, Value, When

from catalog.models import KitComponent, Sku

MAX_KIT_DEPTH = 10


def kit_tree(root_ids: set[int]) -> dict[int, list[tuple[int, int]]]:
    """{kit id: [(component id, quantity), ...]} for every kit reachable from ``root_ids``.

    One query per level of nesting; components that are not kits are leaves.
    """
    tree: dict[int, list[tuple[int, int]]] = {}
    frontier = set(root_ids)
    for _depth in range(MAX_KIT_DEPTH + 1):
        if not frontier:
            break
        for kit_id in frontier:
            tree[kit_id] = []
        next_frontier: set[int] = set()
        rows = KitComponent.objects.filter(kit_id__in=frontier).values_list(
            "kit_id", "component_id", "quantity", "component__is_kit"
        )
        for kit_id, component_id, quantity, component_is_kit in rows:
            tree[kit_id].append((component_id, quantity))
            if component_is_kit and component_id not in tree:
                next_frontier.add(component_id)
        frontier = next_frontier
    return tree


def kit_components(kit_ids: Iterable[int]) -> dict[int, dict[int, int]]:
    """{kit id: {stocked SKU id: units one kit consumes}} for each kit, nested kits resolved.

    The one walk of the kit structure: what a kit is made of, as reserving it takes it. One
    query per level of nesting (``kit_tree``), none when ``kit_ids`` is empty. A kit without
    components consumes nothing (so it cannot be sold).
    """
    kit_ids = set(kit_ids)
    if not kit_ids:
        return {}
    tree = kit_tree(kit_ids)

    def walk(kit_id: int, multiplier: int, totals: dict[int, int], depth: int) -> None:
        if depth > MAX_KIT_DEPTH:  # a cycle in the data (the services refuse them): stop, do not loop
            return
        for component_id, per_kit in tree.get(kit_id, []):
            if component_id in tree:
                walk(component_id, multiplier * per_kit, totals, depth + 1)
            else:
                totals[component_id] += multiplier * per_kit

    components: dict[int, dict[int, int]] = {}
    for kit_id in kit_ids:
        totals: dict[int, int] = defaultdict(int)
        walk(kit_id, 1, totals, 0)
        components[kit_id] = dict(totals)
    return components


def kit_expand(*, sku: Sku, quantity: int) -> dict[int, int]:
    """The stocked SKUs (nested kits resolved) and units that ``quantity`` of ``sku`` consume."""
    if not sku.is_kit:
        return {sku.pk: quantity}
    return {part_id: units * quantity for part_id, units in kit_components({sku.pk})[sku.pk].items()}


def kits_containing(sku_ids: Iterable[int]) -> set[int]:
    """Every kit that holds any of ``sku_ids`` at any depth (one query per level)."""
    found: set[int] = set()
    frontier = set(sku_ids)
    for _depth in range(MAX_KIT_DEPTH + 1):
        if not frontier:
            break
        parents = set(KitComponent.objects.filter(component_id__in=frontier).values_list("kit_id", flat=True))
        frontier = parents - found
        found |= parents
    return found


def kit_descendant_ids(kit_id: int) -> set[int]:
    """Every SKU inside ``kit_id`` at any depth."""
    tree = kit_tree({kit_id})
    return {component_id for parts in tree.values() for component_id, _q in parts}


SEARCH_CANDIDATES = 200
MIN_CONTAINS = 3  # the length of a trigram


def sku_search(*, query: str, limit: int = 20) -> QuerySet[Sku]:
    """SKUs whose code or barcode is ``query`` or whose code or name contains it (a query of one
    or two characters: whose code, or a word of whose name, starts with it).

    The exact barcode/code match comes first, then codes that start with the query, then the
    other matches, each group in code order. One query, shaped for the indexes: the exact
    matches come from the unique btree indexes on barcode and code (the code as typed, upper-
    or lower-cased); the contains matches are the first :data:`SEARCH_CANDIDATES` that
    PostgreSQL finds, in no order, so it either reads the table until it has enough (a
    common query such as "M" or "shirt") or asks the trigram indexes on UPPER(code) and
    UPPER(name) (a rare one such as "1094"); only those candidates are ranked and sorted.
    Asking for the contains matches in code order instead lets the planner walk the whole
    code index when the few matches sit at its end (150 ms at 100,000 SKUs). When more than
    :data:`SEARCH_CANDIDATES` SKUs match, the list shows the best of those found: the agent
    types on to narrow it. ``catalog.sku_search_100k`` in ``make bench`` measures it.
    """
    query = query.strip()
    if not query:
        return Sku.objects.none()
    # Equality through the unique btree indexes. (A trigram index can answer UPPER(code) = X
    # too, but it rechecks every code sharing X's trigrams: slow for short or common codes.)
    exact = Q(barcode=query) | Q(code__in={query, query.upper(), query.lower()})
    exact_ids = Sku.objects.filter(exact).order_by().values("pk")
    if len(query) < MIN_CONTAINS:
        # One or two characters have no trigram inside them to look up, so "contains" would
        # read the whole table when nothing matches; the start of a code or of a name's word has.
        matches = Q(code__istartswith=query) | Q(name__istartswith=query) | Q(name__icontains=f" {query}")
    else:
        matches = Q(code__icontains=query) | Q(name__icontains=query)
    contains_ids = Sku.objects.filter(matches).order_by().values("pk")[:SEARCH_CANDIDATES]
    return (
        Sku.objects.filter(pk__in=exact_ids.union(contains_ids, all=True))
        .annotate(rank=Case(When(exact, then=Value(0)), When(code__istartswith=query, then=Value(1)),
                            default=Value(2)))
        .select_related("style")
        .order_by("rank", "code")[:limit]
    )
