def seed_receivables(*, stdout=None, options=None) -> None:
    pass
