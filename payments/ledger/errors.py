class LedgerError(Exception):
    """A posting the ledger refuses (unbalanced, closed period, unknown account…); the message is for the user."""
