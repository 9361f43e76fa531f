from django.db import migrations

# Stock movements are the audit trail of on_hand: the database itself refuses to edit or
# delete one (a mistake is corrected by a new movement).
FORWARD = """
CREATE FUNCTION inventory_refuse_movement_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'stock movements are never edited or deleted (movement %)', OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER inventory_stockmovement_immutable
    BEFORE UPDATE OR DELETE ON inventory_stockmovement
    FOR EACH ROW EXECUTE FUNCTION inventory_refuse_movement_change();

CREATE SEQUENCE inventory_po_number_seq START 1000;
"""
BACKWARD = """
DROP SEQUENCE IF EXISTS inventory_po_number_seq;
DROP TRIGGER IF EXISTS inventory_stockmovement_immutable ON inventory_stockmovement;
DROP FUNCTION IF EXISTS inventory_refuse_movement_change();
"""


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
