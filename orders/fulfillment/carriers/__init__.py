"""Carriers: one interface (rates, buy label, tracking, void) over the built-in table-rate carrier
and EasyPost, rate shopping, 4×6 labels (PDF or ZPL), daily manifests and the tracking poll."""
