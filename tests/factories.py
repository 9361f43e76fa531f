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
