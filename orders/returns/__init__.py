"""Returns, exchanges and warranty claims (issue 13): RMAs, receiving by scan, refunds, exchanges."""
