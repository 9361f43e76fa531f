from payments.ledger.models import (  # noqa: F401  (Django finds the ledger's models here)
    Account, ClosingBalance, FiscalPeriod, FiscalYear, JournalEntry, JournalLine, PeriodEvent, PostingRule,
)
from payments.tenders.models import PaymentAttempt, PaymentCard, Tender, WebhookEvent  # noqa: F401
from payments.refunds.models import Refund, RefundAllocation, RefundPolicy  # noqa: F401,E402
