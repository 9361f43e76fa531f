"""The payments reconciliation (Accountant): orders shipped against payments captured against the gateway."""
