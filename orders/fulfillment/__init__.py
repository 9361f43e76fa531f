"""Fulfillment (issue 13): bins, pick waves, shipments, their lines and their events.

A package inside the ``orders`` app: its models (``models.py``) are imported by
``orders/models.py`` so they belong to the orders app and its migrations.
"""
