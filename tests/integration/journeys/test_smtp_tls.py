"""Mail over TLS to a real SMTP server (aiosmtpd on 127.0.0.1) whose certificate a private CA signed:
STARTTLS and implicit TLS deliver, a certificate nobody vouches for and a server that insists on TLS
refuse to carry the message (a retryable failure, never a message sent in clear or to an impostor)."""
from __future__ import annotations

import dataclasses
import ssl
import subprocess

import pytest

from sync.journeys.mail import SendFailed, SmtpMailer, build
from sync.journeys.settings import JourneySettings
from tests.conftest import make_test_app
from tests.integration.journeys.conftest import Inbox, JOURNEY_CONFIG, free_port


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA and a server certificate for 127.0.0.1 it signed, made by openssl."""
    where = tmp_path_factory.mktemp("pki")

    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=where, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Shop test CA",
            "-keyout", "ca.key", "-out", "ca.pem")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key",
            "-out", "server.csr")
    (where / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-extfile", "san.ext", "-out", "server.pem")
    return where


def server_context(pki) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki / "server.pem", pki / "server.key")
    return context


@pytest.fixture
def smtp_server(pki):
    """Start an SMTP server: ``mode`` starttls (required before MAIL) or ssl (implicit TLS)."""
    from aiosmtpd.controller import Controller

    started = []

    def start(mode: str) -> Inbox:
        inbox = Inbox()
        options = ({"tls_context": server_context(pki), "require_starttls": True} if mode == "starttls"
                   else {"ssl_context": server_context(pki)})
        controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **options)
        controller.start()
        started.append(controller)
        inbox.port = controller.port
        return inbox

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    app = make_test_app(f"sqlite:///{tmp_path_factory.mktemp('tls') / 'unused.sqlite3'}",
                        tmp_path_factory.mktemp("tls-instance"), **JOURNEY_CONFIG)
    return dataclasses.replace(JourneySettings.from_config(app.config), smtp_user="", smtp_password="")


def a_message():
    return build("sklep@example.pl", "ewa@example.pl", "Twój koszyk", "Wróć do koszyka", "<p>Wróć</p>",
                 "<cart-1@shop.test>")


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_a_message_travels_encrypted_to_a_server_our_ca_vouches_for(pki, smtp_server, settings, mode):
    inbox = smtp_server(mode)
    mailer = SmtpMailer(dataclasses.replace(settings, smtp_port=inbox.port, smtp_tls=mode,
                                            smtp_ca_file=str(pki / "ca.pem")), timeout=10)
    assert mailer.send(a_message()) == f"smtp 127.0.0.1:{inbox.port}"
    assert [m["Subject"] for m in inbox.messages] == ["Twój koszyk"]


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_a_certificate_nobody_vouches_for_stops_the_message(smtp_server, settings, mode):
    inbox = smtp_server(mode)
    mailer = SmtpMailer(dataclasses.replace(settings, smtp_port=inbox.port, smtp_tls=mode), timeout=10)
    with pytest.raises(SendFailed) as failed:
        mailer.send(a_message())
    assert not failed.value.final  # retried later: the operator may fix POS_SMTP_CA_FILE
    assert inbox.messages == []


def test_a_server_that_insists_on_tls_gets_nothing_in_clear(smtp_server, settings):
    inbox = smtp_server("starttls")
    mailer = SmtpMailer(dataclasses.replace(settings, smtp_port=inbox.port, smtp_tls="none"), timeout=10)
    with pytest.raises(SendFailed):
        mailer.send(a_message())
    assert inbox.messages == []
