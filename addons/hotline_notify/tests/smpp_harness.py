"""A loopback SMSC for the SMPP provider's tests, built from smpplib's own PDU classes.

Kannel's ``drive_smpp`` is not usable here: it is the driver of Kannel's own SMPP test (it plays
the SMSC for *Kannel's* SMPP client while also attaching to a bearerbox as a box, and generates its
own traffic), not an SMSC for any ESME.  This one answers ``bind_transceiver`` (checking the
password), ``submit_sm`` (``submit_sm_resp`` with a message id, or an error status for the numbers
in ``reject``) and sends a delivery receipt (``deliver_sm``, ``esm_class`` 0x04, receipt text
``id:… stat:DELIVRD``, or ``UNDELIV`` for the numbers in ``undeliverable``) while the session lasts.
"""

import socket
import struct
import threading

import smpplib.consts
import smpplib.smpp


class FakeSmppServer:
    def __init__(self, system_id="hotline", password="smpp-pw", reject=(), undeliverable=()):
        self.system_id, self.password = system_id, password
        self.reject, self.undeliverable = set(reject), set(undeliverable)
        self.submits = []  # dicts: destination, data_coding, esm_class, short_message, registered_delivery
        self.binds = []
        self._sock = None
        self._thread = None
        self._stop = threading.Event()
        self._counter = 0
        self.port = None

    def start(self):
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(4)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name="fake-smsc", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        if self._sock:
            self._sock.close()

    # ------------------------------------------------------------------
    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _addr = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            conn.settimeout(0.2)
            try:
                self._session(conn)
            except (ConnectionError, OSError):
                pass
            finally:
                conn.close()

    def _read_pdu(self, conn):
        header = b""
        while len(header) < 4:
            if self._stop.is_set():
                return None
            try:
                chunk = conn.recv(4 - len(header))
            except TimeoutError:
                continue
            if not chunk:
                return None
            header += chunk
        (length,) = struct.unpack(">L", header)
        body = b""
        conn.settimeout(5)
        while len(body) < length - 4:
            chunk = conn.recv(length - 4 - len(body))
            if not chunk:
                return None
            body += chunk
        conn.settimeout(0.2)
        return smpplib.smpp.parse_pdu(header + body, sequence=0, allow_unknown_opt_params=True)

    def _send(self, conn, name, sequence, **kwargs):
        pdu = smpplib.smpp.make_pdu(name, sequence=sequence, **kwargs)
        pdu.sequence = sequence
        conn.sendall(pdu.generate())

    def _session(self, conn):
        out_seq = 1000
        while not self._stop.is_set():
            pdu = self._read_pdu(conn)
            if pdu is None:
                return
            if pdu.command in ("bind_transceiver", "bind_transmitter"):
                ok = pdu.password in (self.password, self.password.encode())
                system_id = pdu.system_id.decode() if isinstance(pdu.system_id, bytes) else pdu.system_id
                self.binds.append((system_id, ok))
                status = smpplib.consts.SMPP_ESME_ROK if ok else smpplib.consts.SMPP_ESME_RINVPASWD
                self._send(conn, pdu.command + "_resp", pdu.sequence, status=status, system_id="fakesmsc")
                if not ok:
                    return
            elif pdu.command == "submit_sm":
                out_seq = self._on_submit(conn, pdu, out_seq)
            elif pdu.command == "enquire_link":
                self._send(conn, "enquire_link_resp", pdu.sequence)
            elif pdu.command == "unbind":
                self._send(conn, "unbind_resp", pdu.sequence)
                return

    def _on_submit(self, conn, pdu, out_seq):
        dest = pdu.destination_addr.decode() if isinstance(pdu.destination_addr, bytes) else pdu.destination_addr
        self.submits.append(
            {
                "destination": dest,
                "data_coding": pdu.data_coding,
                "esm_class": pdu.esm_class,
                "short_message": pdu.short_message,
                "registered_delivery": pdu.registered_delivery,
            }
        )
        if dest in self.reject:
            self._send(conn, "submit_sm_resp", pdu.sequence, status=smpplib.consts.SMPP_ESME_RINVDSTADR, message_id="")
            return out_seq
        self._counter += 1
        msg_id = f"fake{self._counter:06d}"
        self._send(conn, "submit_sm_resp", pdu.sequence, message_id=msg_id)
        if pdu.registered_delivery:
            stat = "UNDELIV" if dest in self.undeliverable else "DELIVRD"
            text = (
                f"id:{msg_id} sub:001 dlvrd:001 submit date:2601010000 done date:2601010000 stat:{stat} err:000 text:"
            )
            out_seq += 1
            self._send(
                conn,
                "deliver_sm",
                out_seq,
                source_addr=dest,
                destination_addr="12319",
                esm_class=smpplib.consts.SMPP_MSGTYPE_DELIVERYACK,
                short_message=text.encode(),
            )
        return out_seq

    def texts(self):
        """{destination: full text} reassembled from the parts (UDH stripped, UCS-2 decoded)."""
        joined = {}
        for submit in self.submits:
            data = submit["short_message"]
            if submit["esm_class"] & smpplib.consts.SMPP_GSMFEAT_UDHI:
                data = data[data[0] + 1 :]
            joined.setdefault(submit["destination"], []).append((submit["data_coding"], data))
        result = {}
        for dest, parts in joined.items():
            coding = parts[0][0]
            raw = b"".join(data for _coding, data in parts)
            result[dest] = (
                raw.decode("utf-16-be") if coding == smpplib.consts.SMPP_ENCODING_ISO10646 else raw.decode("latin-1")
            )
        return result
