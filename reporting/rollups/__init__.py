"""Rollups: narrow tables of sums that the dashboard and the reports read instead of the orders.

**How they stay current.** A Celery beat job (``reporting.tasks.rollups_fold_task``, every
``ROLLUP_FOLD_SECONDS``) folds in what changed since each rollup's watermark; nothing is written
in the order's own transaction, so placing an order takes no rollup row lock and pays nothing.

What changed is read from the order tables themselves: the orders saved since the watermark
(``Order.updated_at``, indexed by ``order_updated``; every order service saves it) and the
shipments shipped since then (``Shipment.shipped_at``: a second part of a partial shipment
does not always save its order). A fold never adds deltas to a bucket: it finds the buckets
those orders fall in (their hour or day of placement, of shipping, of return; or the order
itself for the open-work facts) and recomputes each of those buckets whole from the raw tables
(``DELETE`` + ``INSERT … SELECT``). Folding a change twice therefore gives the same rows, which
is what makes the watermark safe:

**Why this watermark is correct under concurrent commits.** A watermark on ids or on the
timestamps alone would skip the rows of a transaction that took its id or its ``updated_at``
before an other one but committed after the fold had read past it. Here the watermark never
passes a transaction still open: before each fold takes its snapshot, it reads the oldest
``xact_start`` among this database's open transactions (``pg_stat_activity``), less a margin
for the application servers' clocks (``ROLLUP_CLOCK_MARGIN_SECONDS``), and that becomes the
next watermark (:func:`~reporting.rollups.engine.safe_watermark`). Whatever commits after the
snapshot started after that moment, so it carries an ``updated_at`` or ``shipped_at`` at or after
it and the next fold sees it; whatever committed before is in the snapshot. The changes between
the watermark and the snapshot are folded again next time, which costs a few re-read buckets and
no error. Delta rows appended in the order's transaction would have been the other correct design;
this one needs no hook in the order services (nothing for another app to forget) and heals itself:
a rebuild of any day is the same statements as a fold.

Each run is one REPEATABLE READ transaction holding an advisory lock (two workers never fold at
once; the second skips). A nightly job (``rollups_verify_task``) folds, then recomputes a sample
of days from the raw tables in the same snapshot and compares them row by row: a difference (a
write that changed a total without saving its order) is recorded, shown on the status page
(``reporting.invariants``) and repaired by rebuilding that day.

The registry (``reporting.rollups.registry``) lists the rollups; ``definitions`` holds the built-in
ones and the two helpers to add another.
"""
