"""Staff tasks (DESIGN.md, "Staff tasks"): rules turn events and elapsed time into tasks for a role
or a person.

- A :class:`~orders.stafftasks.models.TaskRule` is data a Manager edits (its page, or the admin):
  a trigger (an event such as "order paid", or elapsed time such as "not shipped N days after
  placement"), the task it opens (title, instructions), for a role or a person, due some hours
  after it opens.
- Event rules open their tasks in a Celery task enqueued by orders' hooks after the commit
  (``status_changed``, ``shipment_confirmed``, ``order_paid``: see ``orders.stafftasks.wiring``).
- Time rules are evaluated by the beat job ``time_rules_evaluate_task``: idempotent, because a
  partial unique index allows one open task per (rule, subject) and the tasks are inserted with
  ``INSERT … ON CONFLICT DO NOTHING``; two workers at once open one task.
- Staff see their inbox (their own tasks and their roles'), take, start and close them with a
  note. An order with an open task of a "not shipped" rule is late: red in the order list
  and flagged on its page.
"""
