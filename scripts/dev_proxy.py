"""make run's front door on a developer's machine, as nginx is in production (deploy/nginx):
``/websocket`` to Odoo's gevent process, everything else to its HTTP workers.

    python scripts/dev_proxy.py --listen 8069 --http 18069 --websocket 8072

Odoo with workers serves the web client's websocket (bus: screen pops, chatter, notifications)
only on its gevent port; a browser opening the HTTP port alone would get a page whose bus never
connects. Listens on 127.0.0.1 only; requests and answers pass through as they are (Host and
cookies included, bodies streamed, compressed answers left compressed).
"""

import argparse
import asyncio
import contextlib

from aiohttp import ClientSession, ClientTimeout, WSMsgType, web

# hop-by-hop headers (RFC 9110, 7.6.1) and the ones aiohttp sets itself
NOT_FORWARDED = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
}


def forwarded_headers(headers):
    return [(name, value) for name, value in headers.items() if name.lower() not in NOT_FORWARDED]


async def pump(source, target):
    """Copy websocket messages from ``source`` to ``target`` until one side closes."""
    async for message in source:
        if message.type == WSMsgType.TEXT:
            await target.send_str(message.data)
        elif message.type == WSMsgType.BINARY:
            await target.send_bytes(message.data)
        else:
            break


async def forward_websocket(request):
    upstream = request.app["websocket"] + request.path_qs
    browser = web.WebSocketResponse()
    await browser.prepare(request)
    headers = [
        (name, value) for name, value in forwarded_headers(request.headers) if not name.lower().startswith("sec-")
    ]
    async with request.app["session"].ws_connect(upstream, headers=headers) as odoo:
        tasks = [asyncio.ensure_future(pump(browser, odoo)), asyncio.ensure_future(pump(odoo, browser))]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            task.cancel()
    await browser.close()
    return browser


async def forward_http(request):
    upstream = request.app["http"] + request.path_qs
    body = request.content if request.body_exists else None
    async with request.app["session"].request(
        request.method, upstream, headers=forwarded_headers(request.headers), data=body, allow_redirects=False
    ) as answer:
        response = web.StreamResponse(status=answer.status, reason=answer.reason)
        for name, value in forwarded_headers(answer.headers):
            response.headers.add(name, value)
        if answer.content_length is not None:
            response.content_length = answer.content_length
        await response.prepare(request)
        async for chunk in answer.content.iter_chunked(64 * 1024):
            await response.write(chunk)
        await response.write_eof()
        return response


async def dispatch(request):
    if request.path == "/websocket" and request.headers.get("Upgrade", "").lower() == "websocket":
        return await forward_websocket(request)
    return await forward_http(request)


async def serve(listen, http_port, websocket_port):
    app = web.Application(client_max_size=0)
    app["http"] = f"http://127.0.0.1:{http_port}"
    app["websocket"] = f"http://127.0.0.1:{websocket_port}"
    # answers are passed on compressed, long requests (imports, reports) are not cut
    app["session"] = ClientSession(auto_decompress=False, timeout=ClientTimeout(total=None, sock_read=None))
    app.router.add_route("*", "/{tail:.*}", dispatch)
    runner = web.AppRunner(app, access_log=None)
    try:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", listen).start()
        await asyncio.Event().wait()
    finally:
        await app["session"].close()
        await runner.cleanup()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--http", type=int, required=True, help="Odoo's HTTP workers")
    parser.add_argument("--websocket", type=int, required=True, help="Odoo's gevent (websocket) port")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C on make run stops Odoo and the proxy
        asyncio.run(serve(args.listen, args.http, args.websocket))


if __name__ == "__main__":
    main()
