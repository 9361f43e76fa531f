"""Accessibility checks in the browser tests: axe-core's WCAG 2.1 A and AA rules on the page as it is.

    from tests.axe import assert_accessible
    page.goto("/orders/")
    assert_accessible(page)

axe-core comes from npm (package.json; ``make test`` runs ``npm ci`` when node_modules lacks it)
and is injected into the page under test. A new screen's browser test calls ``assert_accessible``
so that it keeps the bar the others meet: no violation at all.
"""

from __future__ import annotations

from pathlib import Path

AXE_SCRIPT = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

_RUN = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return results.violations.map((violation) => ({
    id: violation.id, impact: violation.impact, help: violation.help,
    nodes: violation.nodes.map((node) => ({target: node.target.join(" "), summary: node.failureSummary})),
  }));
}"""


def axe_violations(page) -> list[dict]:
    """axe-core's WCAG 2.1 AA violations on the page: ``[{id, impact, help, nodes: [{target, summary}]}]``."""
    if not AXE_SCRIPT.exists():
        raise RuntimeError(f"{AXE_SCRIPT} is missing: run `npm ci` (make test does)")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    return page.evaluate(_RUN, WCAG_21_AA)


def describe(violations: list[dict], *, where: str) -> str:
    """The violations as lines a person can act on: rule id, impact, what it asks, each element's selector."""
    lines = [f"axe-core: {len(violations)} WCAG 2.1 AA rule(s) violated on {where}:"]
    for violation in violations:
        lines.append(f"  {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    {node['target']}  -- {summary[:300]}")
    return "\n".join(lines)


def assert_accessible(page, *, where: str | None = None) -> None:
    """Fail, listing rule ids and elements, when axe-core finds any WCAG 2.1 AA violation on the page."""
    violations = axe_violations(page)
    assert not violations, describe(violations, where=where or page.url)
