import factory
from django.contrib.auth import get_user_model


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or "pass-word-123")
        if create:
            self.save(update_fields=["password"])

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if not extracted:
            return
        from django.contrib.auth.models import Group

        from oms.roles import ADMIN, sync_roles

        # Transactional tests flush the tables between tests; the groups come back here.
        if not Group.objects.filter(name=extracted).exists():
            sync_roles()
        self.groups.add(Group.objects.get(name=extracted))
        if extracted == ADMIN:
            self.is_staff = self.is_superuser = True
            self.save(update_fields=["is_staff", "is_superuser"])


class StyleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalog.Style"

    code = factory.Sequence(lambda n: f"ST{n:05d}")
    name = factory.Faker("catch_phrase")
    option_axes = factory.LazyFunction(lambda: ["size"])


class SkuFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalog.Sku"

    style = factory.SubFactory(StyleFactory)
    code = factory.Sequence(lambda n: f"SKU{n:06d}")
    name = factory.LazyAttribute(lambda sku: f"{sku.style.name} {sku.code}")
    barcode = factory.Sequence(lambda n: f"0{n:012d}")
    cost = factory.LazyFunction(lambda: __import__("decimal").Decimal("4.000"))
    list_price = factory.LazyFunction(lambda: __import__("decimal").Decimal("10.000"))


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalog.Vendor"

    code = factory.Sequence(lambda n: f"V{n:04d}")
    name = factory.Faker("company")


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "inventory.Warehouse"

    code = factory.Sequence(lambda n: f"WH{n:02d}")
    name = factory.LazyAttribute(lambda warehouse: f"Warehouse {warehouse.code}")
    priority = factory.Sequence(lambda n: 10 + n)


def kit(*components: tuple, **fields):
    """A kit SKU built from (component sku, quantity) pairs through the catalog service."""
    from catalog.services import kit_component_set

    kit_sku = SkuFactory(**fields)
    for component, quantity in components:
        kit_component_set(kit=kit_sku, component=component, quantity=quantity, user=None)
    kit_sku.refresh_from_db()
    return kit_sku


def stock(sku, warehouse, quantity: int):
    """Puts ``quantity`` on hand through a receipt, as a real delivery would."""
    from decimal import Decimal

    from inventory.services import stock_receive

    return stock_receive(sku=sku, warehouse=warehouse, quantity=quantity, unit_cost=Decimal("4.000"), user=None)
