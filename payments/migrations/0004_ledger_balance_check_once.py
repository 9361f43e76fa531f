from django.db import migrations

# The balance check runs once per entry rather than once per line: lines written in the same
# transaction as their entry are checked at commit by the entry's own deferred trigger, so the
# line trigger checks only lines added to an entry of an earlier transaction. (An entry written
# inside a savepoint has a subtransaction's xmin; its lines are then checked as well, which
# costs time but never lets an unbalanced entry through.)
FORWARD = """
CREATE OR REPLACE FUNCTION payments_check_entry_balanced() RETURNS trigger AS $$
DECLARE
    checked_id bigint;
    debits numeric;
    credits numeric;
    line_count bigint;
    consistent boolean;
BEGIN
    IF TG_TABLE_NAME = 'payments_journalline' THEN
        IF EXISTS (SELECT 1 FROM payments_journalentry
                   WHERE id = NEW.entry_id AND xmin = pg_current_xact_id()::xid) THEN
            RETURN NULL;
        END IF;
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
"""


class Migration(migrations.Migration):
    dependencies = [("payments", "0003_default_chart")]

    operations = [migrations.RunSQL(FORWARD, migrations.RunSQL.noop)]
