import pytest

from tests import factories


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files of a test go to its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def store(db):
    return factories.StoreFactory(name="Ada's Coffee", phone_region="US", timezone="UTC")


@pytest.fixture
def other_store(db):
    return factories.StoreFactory(name="Rival Roasters")


@pytest.fixture
def customer(store):
    return factories.CustomerFactory(
        store=store,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        phone="+14155550123",
    )


@pytest.fixture
def admin_user(db):
    return factories.UserFactory(username="root", is_staff=True, is_superuser=True)
