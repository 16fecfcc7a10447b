"""SMPP 3.4 straight to the carrier's SMSC with ``smpplib`` (no Kannel in between), without Odoo.

One transceiver session per batch: ``bind_transceiver``, one ``submit_sm`` per part (GSM 7-bit
when the text fits, else UCS-2, ``data_coding`` 8; long texts split with a concatenation UDH by
``smpplib.gsm.make_parts``), ``registered_delivery`` 1, then the ``submit_sm_resp`` (accepted or
refused) and the delivery receipts (``deliver_sm`` with ``esm_class`` 0x04 and the receipt text
``id:… stat:DELIVRD …``) read while the session is open.  Receipts that come after the session
closed are lost for Odoo: the state stays "Sent" (see the gateway's ``receipt_wait``).
"""

import logging
import re
import select
import time

import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.gsm

from . import kannel

_logger = logging.getLogger(__name__)

RECEIPT_ID_RE = re.compile(rb"id:(\S+)")
RECEIPT_STAT_RE = re.compile(rb"stat:(\w+)")
# receipt "stat" → Kannel's report type (the same codes as Kannel's DLRs)
RECEIPT_STATES = {
    b"DELIVRD": kannel.DLR_DELIVERED,
    b"ACCEPTD": kannel.DLR_SMSC_ACCEPTED,
    b"ENROUTE": kannel.DLR_BUFFERED,
    b"UNDELIV": kannel.DLR_FAILED,
    b"EXPIRED": kannel.DLR_FAILED,
    b"DELETED": kannel.DLR_FAILED,
    b"UNKNOWN": kannel.DLR_FAILED,
    b"REJECTD": kannel.DLR_SMSC_REJECTED,
}
FINAL_REPORTS = {kannel.DLR_DELIVERED, kannel.DLR_FAILED, kannel.DLR_SMSC_REJECTED}


class SmppError(Exception):
    """The SMSC cannot be reached, refused the bind, or the session broke."""


def encode(text, max_parts=10):
    """(parts, data_coding, esm_class) for ``text``: 7-bit when possible, else UCS-2 (data_coding 8)."""
    if kannel.is_gsm7(text):
        parts, coding, esm_class = smpplib.gsm.make_parts(text, encoding=smpplib.consts.SMPP_ENCODING_DEFAULT)
    else:
        parts, coding, esm_class = smpplib.gsm.make_parts(text, encoding=smpplib.consts.SMPP_ENCODING_ISO10646)
    if max_parts and len(parts) > max_parts:
        raise ValueError(f"text too long: {len(parts)} parts")
    return parts, coding, esm_class


def parse_receipt(short_message):
    """(SMSC message id, Kannel report type) from a receipt text, or (None, None)."""
    data = short_message if isinstance(short_message, bytes) else (short_message or "").encode()
    msg_id = RECEIPT_ID_RE.search(data)
    stat = RECEIPT_STAT_RE.search(data)
    if not msg_id or not stat:
        return None, None
    return msg_id.group(1).decode("ascii", "replace"), RECEIPT_STATES.get(stat.group(1), kannel.DLR_FAILED)


def _text(value):
    return value.decode("ascii", "replace") if isinstance(value, bytes) else (value or "")


class SmppSession:
    """A transceiver session: submit(), collect(), then results() and receipts() by our uuid."""

    def __init__(self, host, port, system_id, password, sender="", timeout=10.0, system_type=""):
        self.host, self.port = host, int(port)
        self.system_id, self.password, self.system_type = system_id, password, system_type
        self.sender = sender
        self.timeout = timeout
        self.client = None
        self.submitted = set()  # our uuids with at least one submit_sm sent
        self._seq_uuid = {}  # submit_sm sequence → uuid
        self._pending = set()  # sequences without a submit_sm_resp yet
        self._msgid_uuid = {}  # SMSC message id → uuid
        self._parts = {}  # uuid → number of parts
        self._answers = {}  # uuid → (outcome, detail)
        self._reports = {}  # uuid → {message id: report type}

    # ------------------------------------------------------------------
    def open(self):
        self.client = smpplib.client.Client(self.host, self.port, timeout=self.timeout, allow_unknown_opt_params=True)
        self.client.set_message_sent_handler(self._on_submit_resp)
        self.client.set_message_received_handler(self._on_deliver)
        self.client.set_error_pdu_handler(lambda pdu: None)  # submit_sm_resp errors: see _on_submit_resp
        try:
            self.client.connect()
            self.client.bind_transceiver(system_id=self.system_id, password=self.password, system_type=self.system_type)
        except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError) as exc:
            self.close()
            raise SmppError(f"SMPP {self.host}:{self.port}: {exc or type(exc).__name__}") from exc

    def close(self):
        client, self.client = self.client, None
        if client is None or client._socket is None:  # noqa: SLF001 (never connected)
            return
        if client.state == smpplib.consts.SMPP_CLIENT_STATE_CLOSED:
            # the connection failed: smpplib's disconnect() would warn of a "bound state"
            client._socket.close()  # noqa: SLF001
            client._socket = None  # noqa: SLF001
            return
        try:
            if client.state in (
                smpplib.consts.SMPP_CLIENT_STATE_BOUND_TRX,
                smpplib.consts.SMPP_CLIENT_STATE_BOUND_TX,
            ):
                client.unbind()
        except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError) as exc:
            _logger.debug("SMPP unbind: %s", exc)
        finally:
            client.disconnect()

    # ------------------------------------------------------------------
    def submit(self, sms_uuid, number, text, max_parts=10):
        try:
            parts, coding, esm_class = encode(text, max_parts)
        except ValueError as exc:
            self._answers[sms_uuid] = (kannel.REJECTED, str(exc))
            return
        self._parts[sms_uuid] = len(parts)
        for part in parts:
            try:
                pdu = self.client.send_message(
                    source_addr_ton=smpplib.consts.SMPP_TON_UNK if self.sender else smpplib.consts.SMPP_TON_ALNUM,
                    source_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
                    source_addr=self.sender,
                    dest_addr_ton=smpplib.consts.SMPP_TON_INTL
                    if number.startswith("+")
                    else smpplib.consts.SMPP_TON_UNK,
                    dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
                    destination_addr=number.lstrip("+"),
                    short_message=part,
                    data_coding=coding,
                    esm_class=esm_class,
                    registered_delivery=True,
                )
            except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError) as exc:
                raise SmppError("SMPP submit: %s" % (str(exc) or type(exc).__name__)) from exc
            self.submitted.add(sms_uuid)
            self._seq_uuid[pdu.sequence] = sms_uuid
            self._pending.add(pdu.sequence)
            # read what already came back, so that the SMSC's window never fills up
            self._read(0)

    def collect(self, wait=2.0):
        """Read the submit answers (up to the timeout), then receipts for up to ``wait`` seconds."""
        deadline = time.monotonic() + self.timeout
        while self._pending and time.monotonic() < deadline:
            self._read(min(0.5, max(0.01, deadline - time.monotonic())))
        deadline = time.monotonic() + (wait or 0)
        while not self._all_final() and time.monotonic() < deadline:
            self._read(min(0.5, max(0.01, deadline - time.monotonic())))

    def _read(self, timeout):
        """Act on the PDUs that arrive within ``timeout`` seconds (each read whole)."""
        if self.client is None or self.client._socket is None:  # noqa: SLF001
            raise SmppError("SMPP session closed")
        sock = self.client._socket  # noqa: SLF001 (smpplib has no public poll with a timeout)
        end = time.monotonic() + max(0.0, timeout)
        try:
            while True:
                readable, _w, _x = select.select([sock], [], [], max(0.0, end - time.monotonic()))
                if not readable:
                    return
                self.client.read_once(auto_send_enquire_link=False)
        except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError) as exc:
            raise SmppError("SMPP read: %s" % (str(exc) or type(exc).__name__)) from exc

    def _all_final(self):
        for sms_uuid, count in self._parts.items():
            if self._answers.get(sms_uuid, (kannel.ACCEPTED,))[0] != kannel.ACCEPTED:
                continue
            reports = self._reports.get(sms_uuid, {})
            if len([code for code in reports.values() if code in FINAL_REPORTS]) < count:
                return False
        return True

    # ------------------------------------------------------------------
    def _on_submit_resp(self, pdu, **_kwargs):
        sms_uuid = self._seq_uuid.get(pdu.sequence)
        self._pending.discard(pdu.sequence)
        if sms_uuid is None:
            return
        if pdu.status:
            detail = smpplib.consts.DESCRIPTIONS.get(pdu.status, f"error {pdu.status}")
            self._answers[sms_uuid] = (kannel.REJECTED, f"SMPP {pdu.status}: {detail}")
            return
        self._msgid_uuid[_text(pdu.message_id)] = sms_uuid
        self._answers.setdefault(sms_uuid, (kannel.ACCEPTED, _text(pdu.message_id)))

    def _on_deliver(self, pdu, **_kwargs):
        if not (pdu.esm_class or 0) & smpplib.consts.SMPP_MSGTYPE_DELIVERYACK:
            _logger.info("SMPP: mobile-originated text from %s ignored (use Kannel for inbound texts)", pdu.source_addr)
            return smpplib.consts.SMPP_ESME_ROK
        msg_id, report = parse_receipt(pdu.short_message)
        receipted = getattr(pdu, "receipted_message_id", None)
        msg_id = _text(receipted) or msg_id
        sms_uuid = self._msgid_uuid.get(msg_id)
        if sms_uuid and report:
            self._reports.setdefault(sms_uuid, {})[msg_id] = report
        return smpplib.consts.SMPP_ESME_ROK

    # ------------------------------------------------------------------
    def results(self):
        """{uuid: (outcome, detail)} for every text the SMSC answered."""
        return dict(self._answers)

    def receipts(self):
        """{uuid: report type}: failed if a part failed, delivered if all parts were, else accepted."""
        summary = {}
        for sms_uuid, reports in self._reports.items():
            codes = set(reports.values())
            if codes & {kannel.DLR_FAILED, kannel.DLR_SMSC_REJECTED}:
                summary[sms_uuid] = kannel.DLR_SMSC_REJECTED if kannel.DLR_SMSC_REJECTED in codes else kannel.DLR_FAILED
            elif codes == {kannel.DLR_DELIVERED} and len(reports) >= self._parts.get(sms_uuid, 1):
                summary[sms_uuid] = kannel.DLR_DELIVERED
            else:
                summary[sms_uuid] = kannel.DLR_SMSC_ACCEPTED
        return summary
