"""The AMI replay server itself: byte-exact stream, answers, pacing, drops."""

import asyncio
import time

from ami_replay import SEP, AmiReplayServer, split_stream, with_action_id
from bridge_testlib import fixture, run


async def _login(port, action_id="t-1", secret="hotline"):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"Action: Login\r\nActionID: {action_id}\r\nUsername: hotline\r\nSecret: {secret}\r\n\r\n".encode())
    await writer.drain()
    return reader, writer


async def _read_all(reader, size, timeout=5):
    data = b""
    while len(data) < size:
        chunk = await asyncio.wait_for(reader.read(65536), timeout)
        if not chunk:
            break
        data += chunk
    return data


def test_stream_is_the_recording_byte_for_byte():
    raw = fixture("01_answered.events.raw").read_bytes()
    banner, messages = split_stream(raw)
    assert banner + b"".join(messages) == raw  # the split loses nothing
    expected = banner + with_action_id(messages[0], "t-1") + b"".join(messages[1:-1])

    async def main():
        server = AmiReplayServer(fixture("01_answered.events.raw"))
        port = await server.start()
        reader, writer = await _login(port)
        try:
            got = await _read_all(reader, len(expected))
            assert got == expected
            writer.write(b"Action: Logoff\r\nActionID: t-2\r\n\r\n")
            await writer.drain()
            goodbye = await asyncio.wait_for(reader.read(), 5)
            assert goodbye == with_action_id(messages[-1], "t-2")
        finally:
            writer.close()
            await server.stop()

    run(main())


def test_recorded_answers_are_matched_and_ids_rewritten():
    async def main():
        server = AmiReplayServer(fixture("05_supervisor.events.raw"), hold=True)
        port = await server.start()
        reader, writer = await _login(port)
        try:
            await asyncio.wait_for(reader.readuntil(SEP), 5)  # login answer (+ banner)
            writer.write(b"Action: Hangup\r\nActionID: h-1\r\nChannel: Local/9999@agents-deadbeef;1\r\n\r\n")
            await writer.drain()
            answer = await asyncio.wait_for(reader.readuntil(SEP), 5)
            assert answer == b"Response: Error\r\nActionID: h-1\r\nMessage: No such channel\r\n\r\n"
            writer.write(b"Action: Ping\r\nActionID: p-1\r\n\r\n")
            await writer.drain()
            answer = await asyncio.wait_for(reader.readuntil(SEP), 5)
            assert answer.startswith(b"Response: Success\r\nActionID: p-1\r\nPing: Pong\r\n")
            writer.write(b"Action: Frobnicate\r\nActionID: f-1\r\n\r\n")
            await writer.drain()
            answer = await asyncio.wait_for(reader.readuntil(SEP), 5)
            assert b"Invalid/unknown command: Frobnicate" in answer
            assert not server.done.is_set()  # hold=True: nothing streamed yet
        finally:
            writer.close()
            await server.stop()

    run(main())


def test_bad_login_answer_and_close():
    async def main():
        server = AmiReplayServer(fixture("05_supervisor.events.raw"), secret="hotline")
        port = await server.start()
        reader, writer = await _login(port, "b-1", secret="wrong-secret")
        try:
            data = await asyncio.wait_for(reader.read(), 5)  # until the server closes
            assert data == (
                b"Asterisk Call Manager/11.0.0\r\nResponse: Error\r\n"
                b"ActionID: b-1\r\nMessage: Authentication failed\r\n\r\n"
            )
            assert server.login_attempts == 1 and server.logins == 0
        finally:
            writer.close()
            await server.stop()

    run(main())


def test_pacing_follows_the_log_timestamps():
    async def main():
        server = AmiReplayServer(fixture("01_answered.events.raw"), speed=10)
        port = await server.start()
        reader, writer = await _login(port)
        started = time.monotonic()
        try:
            await server.wait_done(timeout=10)
        finally:
            writer.close()
            await server.stop()
        return time.monotonic() - started

    # the recorded stream spans about 5 s after the login: 0.5 s at speed 10
    elapsed = run(main())
    assert 0.4 <= elapsed <= 3.0


def test_drop_after_n_messages_and_resume():
    async def main():
        server = AmiReplayServer(fixture("02_abandoned_hangup.events.raw"), drop_after=10)
        port = await server.start()
        reader, writer = await _login(port)
        try:
            first = await asyncio.wait_for(reader.read(), 5)  # ends with the abort
            assert first.count(b"\r\n\r\n") == 1 + 10  # login answer + 10 events
            writer.close()
            reader, writer = await _login(port)
            await server.wait_done()
            assert server.connections == 2 and server.position == len(server.stream)
        finally:
            writer.close()
            await server.stop()

    run(main())
