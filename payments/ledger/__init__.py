"""The general ledger: chart of accounts, posting map, fiscal periods and the journal (DESIGN.md "Ledger")."""
