"""The steps lower apps offer and higher apps plug into (oms.panels, oms.demo, catalog.hooks, orders)."""

from __future__ import annotations

from catalog.demo import seed_catalog
from catalog.hooks import stock_reads
from inventory import selectors as inventory_selectors
from inventory.demo import seed_inventory
from inventory.hooks import _stock_arrived
from marketing.demo import seed_marketing
from oms import demo as oms_demo
from oms.demo import demo_steps, register_demo_step
from oms.panels import _home_panels, home_panels, register_home_panel
from orders.demo import seed_orders
from orders.fulfillment.carriers.demo import seed_carriers
from orders.fulfillment.demo import seed_fulfillment
from orders.returns.demo import seed_returns
from orders.stafftasks.demo import seed_staff_tasks
from orders.tasks import stock_arrived
from payments.demo import seed_payments, seed_shipment_postings
from payments.giftcards.demo import seed_gift_cards
from payments.payables.demo import seed_payables
from payments.receivables.demo import seed_receivables
from reporting.demo import seed_reporting


def test_the_demo_steps_run_lowest_app_first():
    assert demo_steps() == [seed_catalog, seed_inventory, seed_marketing, seed_orders, seed_carriers, seed_receivables, seed_payments, seed_payables, seed_fulfillment, seed_shipment_postings, seed_gift_cards, seed_returns, seed_staff_tasks, seed_reporting]


def test_a_demo_step_registers_by_name_and_runs_in_its_order(monkeypatch):
    # Given: a step registered by an app between inventory and marketing, by dotted path.
    monkeypatch.setattr(oms_demo, "_steps", dict(oms_demo._steps))
    register_demo_step(name="between", order=25, step="oms.panels.home_panels")

    # Then: it runs in its place, and registering a name again replaces it.
    assert demo_steps() == [seed_catalog, seed_inventory, home_panels, seed_marketing, seed_orders, seed_carriers, seed_receivables, seed_payments, seed_payables, seed_fulfillment, seed_shipment_postings, seed_gift_cards, seed_returns, seed_staff_tasks, seed_reporting]
    register_demo_step(name="between", order=99, step=home_panels)
    assert demo_steps() == [seed_catalog, seed_inventory, seed_marketing, seed_orders, seed_carriers, seed_receivables, seed_payments, seed_payables, seed_fulfillment, seed_shipment_postings, seed_gift_cards, seed_returns, seed_staff_tasks, seed_reporting, home_panels]


def test_the_home_page_shows_the_panels_registered_in_order(monkeypatch):
    monkeypatch.setattr("oms.panels._home_panels", [])
    calls = []

    def first(*, user):
        calls.append(("first", user))
        return {"template": "first.html"}

    def empty(*, user):
        calls.append(("empty", user))
        return None

    register_home_panel(first)
    register_home_panel(empty)
    register_home_panel(first)  # twice: once

    assert home_panels(user="someone") == [{"template": "first.html"}]
    assert calls == [("first", "someone"), ("empty", "someone")]


def test_inventory_plugs_its_reads_into_the_catalog_and_the_home_page():
    reads = stock_reads()
    assert (reads.available_totals, reads.stock_table, reads.open_reservations, reads.movement_page) == (
        inventory_selectors.available_totals, inventory_selectors.stock_table,
        inventory_selectors.open_reservations, inventory_selectors.movement_page)
    assert inventory_selectors.home_panel in _home_panels


def test_orders_allocates_backorders_when_inventory_says_stock_arrived():
    assert stock_arrived in _stock_arrived
