import json
from io import StringIO

import pytest
from django.core.management import call_command

from customers.models import Customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_demo_login_opens_the_admin_in_a_browser(live_server, page, settings, tmp_path):
    settings.DEMO_CREDENTIALS_FILE = tmp_path / "demo.json"
    call_command("seed_demo", "--customers", "5", stdout=StringIO(), stderr=StringIO())
    credentials = json.loads(settings.DEMO_CREDENTIALS_FILE.read_text())

    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", credentials["username"])
    page.fill("#id_password", credentials["password"])
    page.click("input[type=submit]")

    page.wait_for_selector("h1:has-text('Administration')")
    page.click("a[href='/admin/customers/customer/']")
    page.wait_for_selector("#result_list")
    # Every account's customers: the demo store's 5 and the demo network's.
    assert page.locator("#result_list tbody tr").count() == Customer.objects.count() > 5
