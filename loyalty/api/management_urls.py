from stores.api.management import route  # noqa: F401

urlpatterns = []
