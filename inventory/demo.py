def seed_inventory(*, stdout, options):
    pass
