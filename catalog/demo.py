def seed_catalog(*, stdout, options):
    pass
