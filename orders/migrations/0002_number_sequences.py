from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE orders_order_number_seq START 100000;"
            "CREATE SEQUENCE orders_customer_number_seq START 10000;",
            "DROP SEQUENCE IF EXISTS orders_order_number_seq; DROP SEQUENCE IF EXISTS orders_customer_number_seq;",
        )
    ]
