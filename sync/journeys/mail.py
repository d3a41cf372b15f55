"""E-mail over SMTP (host, port, TLS and login from the environment), plain text with an HTML alternative."""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate


class SendFailed(Exception):
    """The message did not go; ``final`` when retrying cannot help (a refused address)."""

    def __init__(self, why: str, final: bool = False):
        super().__init__(why)
        self.final = final


def build(sender: str, to: str, subject: str, text: str, html: str, message_id: str,
          unsubscribe_url: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Date"] = formatdate(localtime=False)
    # The outbox key makes the Message-ID, so a resend after a crash is recognisably the same message.
    message["Message-ID"] = message_id
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


class LogMailer:
    """Without POS_SMTP_HOST (the demo): the message goes to the log and its outbox row, nowhere else."""

    def __init__(self, settings):
        self.settings = settings

    def send(self, message: EmailMessage) -> str:
        import logging
        logging.getLogger("sync.journeys.mail").info("e-mail to %s: %s", message["To"], message["Subject"])
        return "logged (no POS_SMTP_HOST)"


class SmtpMailer:
    def __init__(self, settings, timeout: float = 30):
        self.settings, self.timeout = settings, timeout

    def send(self, message: EmailMessage) -> str:
        s = self.settings
        if not s.smtp_host:
            raise SendFailed("POS_SMTP_HOST is not set")
        try:
            # The certificate and its name are always checked; a private CA is named, never the check dropped.
            context = ssl.create_default_context(cafile=s.smtp_ca_file or None) if s.smtp_tls != "none" else None
            if s.smtp_tls == "ssl":
                client = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=self.timeout, context=context)
            else:
                client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=self.timeout)
            with client:
                if s.smtp_tls == "starttls":
                    client.starttls(context=context)
                if s.smtp_user:
                    client.login(s.smtp_user, s.smtp_password)
                refused = client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise SendFailed(f"recipient refused: {sorted(exc.recipients)}", final=True) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise SendFailed(f"SMTP: {exc.__class__.__name__}") from None
        if refused:
            raise SendFailed(f"recipient refused: {sorted(refused)}", final=True)
        return f"smtp {s.smtp_host}:{s.smtp_port}"
