class CatalogError(Exception):
    """A catalog rule was broken; the message is for the user."""


class KitCycleError(CatalogError):
    pass
