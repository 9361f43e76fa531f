"""Vendor bills (accounts payable), the three-way match of purchase order, receipts and bill, and the
purchase order reconciliation report. Models live in ``models.py`` (imported by ``payments/models.py``);
the match itself is a pure function over plain data in ``matching.py``."""
