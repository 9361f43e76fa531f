"""Checks, deposit batches, cash and marketplace tenders, invoices on account, customer payments
and their applications, statements and the receivables aging (issue 12). The posting rules are
in :mod:`payments.receivables.services`."""
