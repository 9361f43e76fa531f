"""Gift cards (issue 12): cards with a transaction ledger, sold, issued as goodwill, redeemed, refunded, expired."""
