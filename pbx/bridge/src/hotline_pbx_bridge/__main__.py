"""``hotline-pbx-bridge --config FILE`` (also ``python -m hotline_pbx_bridge``)."""

import argparse
import asyncio
import logging
import signal
import sqlite3
import sys

from . import __version__
from .bridge import Bridge
from .config import ConfigError, load_config
from .spool import Spool

_logger = logging.getLogger("hotline_pbx_bridge")


def _parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="hotline-pbx-bridge",
        description="Bridge between Asterisk AMI and the Hotline 12319 Odoo.",
    )
    parser.add_argument("--config", "-c", required=True, help="TOML configuration file")
    parser.add_argument("--log-level", help="DEBUG, INFO, WARNING, ... (overrides [log] level)")
    parser.add_argument(
        "--requeue-dead-letters",
        action="store_true",
        help="put the spool's dead letters back in the queue (after a fix in Odoo) and exit; "
        "the running bridge delivers them at its next attempt or start",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser.parse_args(argv)


async def serve(config):
    """Run the bridge until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    bridge = Bridge(config)
    try:
        await bridge.start()
        _logger.info(
            "bridge running: AMI %s:%s, Odoo %s, HTTP %s:%s",
            config.ami.host,
            config.ami.port,
            config.odoo.url,
            config.http.host,
            bridge.http.port,
        )
        await stop.wait()
        _logger.info("stopping (signal received)")
    finally:
        await bridge.stop()


def main(argv=None):
    args = _parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"hotline-pbx-bridge: configuration error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=(args.log_level or config.log_level).upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.requeue_dead_letters:
        return _requeue(config)
    try:
        asyncio.run(serve(config))
    except (OSError, sqlite3.Error) as exc:  # HTTP port taken, spool not writable
        _logger.error("cannot start: %s", exc)
        return 1
    return 0


def _requeue(config):
    try:
        spool = Spool(config.spool.path)
        try:
            count = spool.requeue_dead_letters()
        finally:
            spool.close()
    except (OSError, sqlite3.Error) as exc:
        _logger.error("cannot requeue the dead letters of %s: %s", config.spool.path, exc)
        return 1
    print(f"hotline-pbx-bridge: {count} dead letter(s) put back in the queue of {config.spool.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
