from payments.ledger.models import (  # noqa: F401  (Django finds the ledger's models here)
    Account, ClosingBalance, FiscalPeriod, FiscalYear, JournalEntry, JournalLine, PeriodEvent, PostingRule,
)
from payments.ledger.models_export import ExportBatch, ExportBatchChunk, ExportedEntry  # noqa: F401
from payments.payables.models import MatchTolerance, VendorBill, VendorBillLine  # noqa: F401  (vendor bills)
from payments.tenders.models import PaymentAttempt, PaymentCard, Tender, WebhookEvent  # noqa: F401
from payments.receivables.models import (  # noqa: F401, E402  (and the receivables' models)
    CustomerPayment, DepositBatch, Invoice, PaymentApplication, ReceivedCheck,
)
from payments.giftcards.models import GiftCard, GiftCardTransaction  # noqa: F401,E402
from payments.refunds.models import Refund, RefundAllocation, RefundPolicy  # noqa: F401,E402
