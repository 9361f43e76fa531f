from django.db import migrations

# The journal is kept by the database itself:
# - an entry and its lines are never edited or deleted (a mistake is corrected by a reversing entry);
# - at commit, every entry that was written or given lines must have at least two lines, all on
#   the entry's date and currency, whose debits equal their credits (deferred constraint triggers,
#   so the lines of an entry can be inserted after it within the transaction);
# - an entry goes only into an open period, on a date inside it. The period row is read FOR KEY
#   SHARE, the lock a close's FOR UPDATE waits for, so a posting and a close cannot interleave.
FORWARD = """
CREATE FUNCTION payments_refuse_journal_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'journal entries and lines are never edited or deleted (% %); post a reversing entry',
        TG_TABLE_NAME, OLD.id USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payments_journalentry_immutable BEFORE UPDATE OR DELETE ON payments_journalentry
    FOR EACH ROW EXECUTE FUNCTION payments_refuse_journal_change();
CREATE TRIGGER payments_journalline_immutable BEFORE UPDATE OR DELETE ON payments_journalline
    FOR EACH ROW EXECUTE FUNCTION payments_refuse_journal_change();

CREATE FUNCTION payments_check_entry_balanced() RETURNS trigger AS $$
DECLARE
    checked_id bigint;
    debits numeric;
    credits numeric;
    line_count bigint;
    consistent boolean;
BEGIN
    IF TG_TABLE_NAME = 'payments_journalline' THEN
        checked_id := NEW.entry_id;
    ELSE
        checked_id := NEW.id;
    END IF;
    SELECT COALESCE(sum(l.debit), 0), COALESCE(sum(l.credit), 0), count(l.id),
           COALESCE(bool_and(l.entry_date = e.entry_date AND l.currency = e.currency), true)
      INTO debits, credits, line_count, consistent
      FROM payments_journalentry e LEFT JOIN payments_journalline l ON l.entry_id = e.id
     WHERE e.id = checked_id;
    IF debits <> credits OR line_count < 2 OR NOT consistent THEN
        RAISE EXCEPTION 'journal entry % does not balance (debits %, credits %, % lines%)', checked_id, debits,
            credits, line_count, CASE WHEN consistent THEN '' ELSE ', a line off the entry''s date or currency' END
            USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'journal_entry_balanced';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER journal_entry_balanced AFTER INSERT ON payments_journalentry
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION payments_check_entry_balanced();
CREATE CONSTRAINT TRIGGER journal_line_balanced AFTER INSERT ON payments_journalline
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION payments_check_entry_balanced();

CREATE FUNCTION payments_check_entry_period() RETURNS trigger AS $$
DECLARE
    period record;
BEGIN
    SELECT status, starts_on, ends_on INTO period FROM payments_fiscalperiod WHERE id = NEW.period_id FOR KEY SHARE;
    IF period.status IS DISTINCT FROM 'open' THEN
        RAISE EXCEPTION 'fiscal period % is closed: nothing posts into it', NEW.period_id
            USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'journal_entry_open_period';
    END IF;
    IF NEW.entry_date < period.starts_on OR NEW.entry_date > period.ends_on THEN
        RAISE EXCEPTION 'journal entry dated % lies outside its period %', NEW.entry_date, NEW.period_id
            USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'journal_entry_open_period';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER journal_entry_open_period BEFORE INSERT ON payments_journalentry
    FOR EACH ROW EXECUTE FUNCTION payments_check_entry_period();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS journal_entry_open_period ON payments_journalentry;
DROP FUNCTION IF EXISTS payments_check_entry_period();
DROP TRIGGER IF EXISTS journal_line_balanced ON payments_journalline;
DROP TRIGGER IF EXISTS journal_entry_balanced ON payments_journalentry;
DROP FUNCTION IF EXISTS payments_check_entry_balanced();
DROP TRIGGER IF EXISTS payments_journalline_immutable ON payments_journalline;
DROP TRIGGER IF EXISTS payments_journalentry_immutable ON payments_journalentry;
DROP FUNCTION IF EXISTS payments_refuse_journal_change();
"""


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_ledger")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
