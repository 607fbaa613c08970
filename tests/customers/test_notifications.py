import pytest
from django.core.exceptions import ImproperlyConfigured

from customers import notifications


def test_locmem_backend_keeps_messages(settings):
    settings.SMS_BACKEND = "locmem"
    notifications.send_sms(to="+14155550123", body="123456 is your code")
    assert notifications.outbox == [
        notifications.Sms(to="+14155550123", body="123456 is your code")
    ]


def test_file_backend_writes_one_file_per_message(settings, tmp_path):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = tmp_path / "sms"
    notifications.send_sms(to="+14155550123", body="first")
    notifications.send_sms(to="+14155550124", body="second")
    files = sorted((tmp_path / "sms").iterdir())
    assert len(files) == 2
    assert {f.read_text().splitlines()[0] for f in files} == {
        "To: +14155550123",
        "To: +14155550124",
    }


def test_console_backend_prints(settings, capsys):
    settings.SMS_BACKEND = "console"
    notifications.send_sms(to="+14155550123", body="hello")
    assert "SMS to +14155550123: hello" in capsys.readouterr().out


def test_twilio_backend_needs_its_settings(settings):
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = ""
    with pytest.raises(ImproperlyConfigured):
        notifications.send_sms(to="+14155550123", body="x")


def test_unknown_backend_is_a_configuration_error(settings):
    settings.SMS_BACKEND = "pigeon"
    with pytest.raises(ImproperlyConfigured):
        notifications.send_sms(to="+14155550123", body="x")
