"""The catalog's import files (styles and SKUs, prices, vendor items) and their export resources.

The staged import itself lives in :mod:`oms.imports`; ``kinds.register_kinds`` plugs these in.
"""
