"""Kannel's ``sendsms`` HTTP interface (smsbox), without Odoo.

One call per message: ``GET <url>?username&password&to&text&from&charset=UTF-8&coding&dlr-mask&dlr-url``.
Kannel (1.4.5) answers ``202 0: Accepted for delivery`` or ``202 3: Queued for later delivery``
(accepted either way: the message is Kannel's now), ``403 Authorization failed for sendsms``,
``400``/``4xx`` for a message it refuses (empty receiver, too long, ...) and ``503`` when it cannot
take messages; a refused connection or a timeout before an answer means smsbox is down.

Chinese text: ``charset=UTF-8`` says how the text is encoded in the request and ``coding=2`` asks
Kannel to send it as UCS-2 (70 characters per message, 67 per part).  A longer text is split by
Kannel itself into concatenated parts with a UDH when the ``sendsms-user`` group has
``concatenation = true`` and ``max-messages`` > 1 (Kannel's default is 1, i.e. truncation); the
``max-messages`` request parameter may lower that limit per message.

The city's kannel.conf, the parts Odoo relies on (the tests generate the same, see
tests/kannel_harness.py; the SMSC group is the carrier's SMPP account)::

    group = core
    dlr-storage = internal          # or a database (dlr-mysql / dlr-redis) to survive restarts

    group = smsbox
    sendsms-port = 13013
    mo-recode = true                # inbound UCS-2 texts reach Odoo as UTF-8
    max-pending-requests = 32       # delivery reports / inbound texts sent to Odoo in parallel (db_maxconn 64)
    http-request-retry = 5          # delivery reports Odoo could not take yet (404/5xx) are retried
    http-queue-delay = 2

    group = sendsms-user
    username = hotline              # the gateway's Username / Password in Odoo
    password = ...
    concatenation = true            # long texts as concatenated parts (UDH) ...
    max-messages = 10               # ... up to 10 parts (the gateway's "Parts per long text")

    group = sms-service             # inbound texts to Odoo (URL: the gateway form's "Inbound SMS URL")
    keyword = default
    catch-all = true
    get-url = "https://odoo.example.city/hotline/sms/inbound?token=...&from=%p&to=%P&text=%a&coding=%c&charset=%C"
    max-messages = 0                # never text anything back to the citizen
    omit-empty = true
"""

import requests
import urllib3

# GSM 03.38 default alphabet and its extension table: texts made only of these go as GSM 7-bit
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "^{}\\[~]|€\f"
GSM7_CHARS = frozenset(GSM7_BASIC + GSM7_EXTENSION)

CODING_7BIT = 0
CODING_UCS2 = 2

# DLR mask: 1 delivered, 2 failed, 4 buffered, 8 SMSC accepted, 16 SMSC rejected
DLR_DELIVERED = 1
DLR_FAILED = 2
DLR_BUFFERED = 4
DLR_SMSC_ACCEPTED = 8
DLR_SMSC_REJECTED = 16
DLR_MASK_ALL = DLR_DELIVERED | DLR_FAILED | DLR_BUFFERED | DLR_SMSC_ACCEPTED | DLR_SMSC_REJECTED
# what changes a state in Odoo: delivered, failed, rejected by the SMSC.  "SMSC accepted" and
# "buffered" would only repeat "Sent" (Kannel's 202 already set it) and each report is one more
# HTTP request from smsbox: with them, Kannel 1.4.5 takes texts about half as fast (bench/bench_sms.py)
DLR_MASK_DEFAULT = DLR_DELIVERED | DLR_FAILED | DLR_SMSC_REJECTED

ACCEPTED = "accepted"
REJECTED = "rejected"  # this message only: do not retry it
AUTH = "auth"  # the gateway refuses our credentials: nothing will pass, keep the queue
DOWN = "down"  # nothing reached Kannel: keep the message queued
UNKNOWN = "unknown"  # the request may have reached Kannel (timeout after sending): never resend


def is_gsm7(text):
    return all(char in GSM7_CHARS for char in text or "")


def coding_for(text):
    """Kannel's ``coding``: 0 (GSM 7-bit) when every character fits, else 2 (UCS-2)."""
    return CODING_7BIT if is_gsm7(text) else CODING_UCS2


def part_count(text):
    """How many short messages Kannel sends for ``text`` (concatenated parts when long)."""
    text = text or ""
    if is_gsm7(text):
        length = sum(2 if char in GSM7_EXTENSION else 1 for char in text)
        single, part = 160, 153
    else:
        # UCS-2 counts UTF-16 code units (a character outside the BMP takes two)
        length = len(text.encode("utf-16-be")) // 2
        single, part = 70, 67
    if length <= single:
        return 1
    return -(-length // part)


def sendsms_params(
    username, password, number, text, sender=None, dlr_url=None, max_messages=None, dlr_mask=DLR_MASK_DEFAULT
):
    """The query parameters of one sendsms request."""
    params = {
        "username": username or "",
        "password": password or "",
        "to": number,
        "text": text,
        "charset": "UTF-8",
        "coding": str(coding_for(text)),
    }
    if sender:
        params["from"] = sender
    if dlr_url:
        params["dlr-mask"] = str(dlr_mask or DLR_MASK_DEFAULT)
        params["dlr-url"] = dlr_url
    if max_messages:
        params["max-messages"] = str(max_messages)
    return params


class SendResult:
    __slots__ = ("detail", "outcome", "status")

    def __init__(self, outcome, status=None, detail=""):
        self.outcome = outcome
        self.status = status
        self.detail = detail

    def __repr__(self):
        return f"<SendResult {self.outcome} {self.status} {self.detail!r}>"


def classify(status, body):
    """The outcome of Kannel's answer (HTTP status, body text)."""
    if 200 <= status < 300:
        return SendResult(ACCEPTED, status, body)
    if status in (401, 403):
        return SendResult(AUTH, status, body)
    if status >= 500:
        return SendResult(DOWN, status, body)
    return SendResult(REJECTED, status, body)


class KannelClient:
    """A keep-alive HTTP session to one smsbox."""

    def __init__(self, url, timeout=10.0):
        self.url = url
        self.timeout = timeout
        self.session = requests.Session()

    def send(self, params):
        try:
            response = self.session.get(self.url, params=params, timeout=self.timeout)
        except requests.exceptions.ConnectTimeout as exc:  # nothing was sent
            return SendResult(DOWN, None, str(exc))
        except requests.exceptions.ReadTimeout as exc:  # sent, no answer: Kannel may have it
            return SendResult(UNKNOWN, None, str(exc))
        except requests.exceptions.ConnectionError as exc:
            if _never_connected(exc):
                return SendResult(DOWN, None, str(exc))
            # the connection broke after the request went out: Kannel may have accepted it
            return SendResult(UNKNOWN, None, str(exc))
        except requests.exceptions.RequestException as exc:
            return SendResult(DOWN, None, str(exc))
        return classify(response.status_code, response.text.strip()[:200])

    def close(self):
        self.session.close()


def _never_connected(exc):
    """True when a ``requests`` connection error happened before any byte of the request was sent."""
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
    return isinstance(reason, urllib3.exceptions.NewConnectionError) or isinstance(reason, ConnectionRefusedError)
