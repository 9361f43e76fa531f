"""The models of the payments app; Django finds those of its packages through these imports."""

from payments.payables.models import MatchTolerance, VendorBill, VendorBillLine  # noqa: F401
