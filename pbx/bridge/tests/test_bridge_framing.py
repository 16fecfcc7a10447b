"""AMI framing: bytes are buffered and split on CRLF CRLF before they are decoded.

A TCP read may end anywhere, inside a message or inside a character: the
messages the protocol hands on must not depend on where the reads end.
"""

import asyncio
import re

import pytest
from bridge_testlib import FIXTURES

from hotline_pbx_bridge.ami import BridgeProtocol

RECORDINGS = sorted(FIXTURES.glob("*.raw"))
CHINESE_NAME = "李四".encode()


class _Transport(asyncio.Transport):
    def write(self, data):
        pass

    def close(self):
        pass


def _messages(data, chunk_sizes):
    """Feed ``data`` to a fresh BridgeProtocol in chunks of the given sizes (cycled); return the messages."""
    protocol = BridgeProtocol()
    protocol.connection_made(_Transport())
    got = []
    protocol.handle_message = lambda message: got.append(dict(message))
    pos, turn = 0, 0
    while pos < len(data):
        size = chunk_sizes[turn % len(chunk_sizes)]
        protocol.data_received(data[pos : pos + size])
        pos += size
        turn += 1
    return got, protocol


def _with_chinese_names(data):
    """The recording with every caller / connected-line name replaced by a Chinese one."""
    return re.sub(rb"^((?:CallerIDName|ConnectedLineName): ).*?(\r)$", rb"\1" + CHINESE_NAME + rb"\2", data, flags=re.M)


def test_recordings_are_there():
    assert len(RECORDINGS) >= 10, RECORDINGS  # the test below must not pass on an empty folder


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.name)
@pytest.mark.parametrize("chinese", [False, True], ids=["as-recorded", "chinese-names"])
def test_chunked_replay_gives_the_same_messages(path, chinese):
    data = path.read_bytes()
    if chinese:
        data = _with_chinese_names(data)
    whole, _protocol = _messages(data, [len(data)])
    assert whole, f"{path.name}: no message parsed"
    for size in range(1, 8):
        chunked, _protocol = _messages(data, [size])
        assert chunked == whole, f"{path.name}: chunks of {size} byte(s) differ"
    uneven, _protocol = _messages(data, [1, 7, 2, 5, 3, 6, 4])
    assert uneven == whole
    if chinese and b"CallerIDName: " in data:
        names = {m.get("CallerIDName") for m in whole if "CallerIDName" in m}
        assert names == {"李四"}


def test_name_split_inside_a_character():
    event = b"Event: Newchannel\r\nChannel: Local/1001@agents-0;1\r\nCallerIDName: " + CHINESE_NAME + b"\r\n\r\n"
    cut = event.index(CHINESE_NAME) + 1  # after the first byte of the three of 李
    protocol = BridgeProtocol()
    protocol.connection_made(_Transport())
    got = []
    protocol.handle_message = lambda message: got.append(dict(message))
    protocol.data_received(event[:cut])
    assert got == []
    protocol.data_received(event[cut:])
    assert [m["CallerIDName"] for m in got] == ["李四"]


def test_banner_gives_the_version_and_no_message():
    got, protocol = _messages(b"Asterisk Call Manager/11.0.0\r\nResponse: Success\r\nMessage: ok\r\n\r\n", [1])
    assert protocol.version == "11.0.0"
    assert [(m["Response"], m["Message"]) for m in got] == [("Success", "ok")]
