"""Read and check the bridge's TOML configuration.

Every problem with the file becomes a :class:`ConfigError` whose message names
the file, the section and the key, so ``__main__`` can print one clear line
instead of a traceback.
"""

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_EXTENSION_PATTERNS = (
    # SIP phones: interface PJSIP/1001, channel PJSIP/1001-0000002a
    r"^(?:PJSIP|SIP|IAX2)/(\d{2,6})(?:-[0-9A-Fa-f]+)?$",
    # Local channels into the phone contexts: Local/1001@agents/n,
    # Local/1001@agents-00000001;2, Local/8001@supervisors-00000002;1
    r"^Local/(\d{2,6})@(?:agents|supervisors)(?:-[0-9A-Fa-f]+;\d|/n)?$",
)


DIALPLAN_NAME = re.compile(r"[A-Za-z0-9_.-]{1,79}")


class ConfigError(Exception):
    """The configuration file is missing, unreadable or wrong."""


@dataclass(frozen=True)
class AmiConfig:
    host: str
    port: int
    username: str
    secret: str
    ping_interval: float = 20.0
    ping_timeout: float = 5.0
    connect_timeout: float = 5.0
    action_timeout: float = 10.0
    reconnect_min: float = 1.0
    reconnect_max: float = 60.0


@dataclass(frozen=True)
class OdooConfig:
    url: str
    token: str
    timeout: float = 10.0
    batch_size: int = 50
    retry_min: float = 1.0
    retry_max: float = 60.0
    max_attempts: int = 10  # server errors (HTTP 500) before items go to the dead-letter table


@dataclass(frozen=True)
class HttpConfig:
    port: int
    token: str
    host: str = "127.0.0.1"


@dataclass(frozen=True)
class SpoolConfig:
    path: Path
    # items held in memory while the spool cannot be written (disk full): the
    # oldest are kept, newer ones beyond this are dropped and counted
    max_in_memory: int = 100_000


@dataclass(frozen=True)
class PbxConfig:
    """How the bridge names phones and contexts in the actions it sends."""

    agent_channel: str = "Local/{extension}@agents"
    agent_caller_id: str = '"Agent {extension}" <{extension}>'
    supervisor_channel: str = "Local/{extension}@supervisors"
    supervisor_caller_id: str = '"Supervisor" <{extension}>'
    spy_target: str = "Local/{extension}@agents"
    member_interface: str = "Local/{extension}@agents/n"
    member_state_interface: str = ""
    outbound_context: str = "from-internal"
    # the contexts POST /originate accepts from Odoo; empty: outbound_context only
    originate_contexts: tuple = ()
    originate_timeout: float = 30.0
    extension_patterns: tuple = DEFAULT_EXTENSION_PATTERNS
    # voice notices and survey calls (POST /notice): the channel dials the
    # citizen; once answered it runs notice_context or survey_context
    notice_channel: str = "Local/{number}@hotline-outdial"
    notice_caller_id: str = "12319"
    notice_context: str = "hotline-notice"
    survey_context: str = "hotline-survey"
    notice_timeout: float = 60.0


@dataclass(frozen=True)
class Config:
    ami: AmiConfig
    odoo: OdooConfig
    http: HttpConfig
    spool: SpoolConfig
    pbx: PbxConfig = field(default_factory=PbxConfig)
    log_level: str = "INFO"


# -- field checks ----------------------------------------------------------


class _Section:
    """Typed access to one table of the file, with precise error messages."""

    def __init__(self, source, name, data):
        self.source = source
        self.name = name
        self.data = data

    def _where(self, key):
        return f"{self.source}: [{self.name}] {key}"

    def _raw(self, key, default, required):
        if key not in self.data:
            if required:
                raise ConfigError(f"{self._where(key)}: missing (required)")
            return default
        return self.data[key]

    def text(self, key, default=None, required=False):
        value = self._raw(key, default, required)
        if value is default and not required:
            return value
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{self._where(key)}: must be a non-empty string")
        return value.strip()

    def integer(self, key, default=None, required=False, low=None, high=None):
        value = self._raw(key, default, required)
        if value is default and not required:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{self._where(key)}: must be an integer, got {value!r}")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ConfigError(f"{self._where(key)}: {value} is out of range [{low}, {high}]")
        return value

    def seconds(self, key, default):
        value = self._raw(key, default, False)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ConfigError(f"{self._where(key)}: must be a positive number of seconds")
        return float(value)

    def names(self, key, default):
        """A non-empty list of dialplan names (letters, digits, ``_ - .``)."""
        value = self._raw(key, default, False)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)) or not value:
            raise ConfigError(f"{self._where(key)}: must be a list of names")
        for name in value:
            if not isinstance(name, str) or not DIALPLAN_NAME.fullmatch(name):
                raise ConfigError(f"{self._where(key)}: {name!r} is not a dialplan context name")
        return tuple(value)

    def patterns(self, key, default):
        value = self._raw(key, default, False)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)) or not value:
            raise ConfigError(f"{self._where(key)}: must be a list of regular expressions")
        for pattern in value:
            try:
                compiled = re.compile(pattern)
            except (re.error, TypeError) as exc:
                raise ConfigError(f"{self._where(key)}: bad pattern {pattern!r}: {exc}") from None
            if compiled.groups < 1:
                raise ConfigError(f"{self._where(key)}: pattern {pattern!r} needs one group for the extension")
        return tuple(value)


def _section(source, data, name, required=True):
    if name not in data:
        if required:
            raise ConfigError(f"{source}: section [{name}] is missing")
        return _Section(source, name, {})
    if not isinstance(data[name], dict):
        raise ConfigError(f"{source}: [{name}] must be a table")
    return _Section(source, name, data[name])


# -- sections --------------------------------------------------------------


def _ami(section):
    cfg = AmiConfig(
        host=section.text("host", required=True),
        port=section.integer("port", required=True, low=1, high=65535),
        username=section.text("username", required=True),
        secret=section.text("secret", required=True),
        ping_interval=section.seconds("ping_interval", AmiConfig.ping_interval),
        ping_timeout=section.seconds("ping_timeout", AmiConfig.ping_timeout),
        connect_timeout=section.seconds("connect_timeout", AmiConfig.connect_timeout),
        action_timeout=section.seconds("action_timeout", AmiConfig.action_timeout),
        reconnect_min=section.seconds("reconnect_min", AmiConfig.reconnect_min),
        reconnect_max=section.seconds("reconnect_max", AmiConfig.reconnect_max),
    )
    if cfg.reconnect_min > cfg.reconnect_max:
        raise ConfigError(f"{section.source}: [ami] reconnect_min is larger than reconnect_max")
    return cfg


def _odoo(section):
    url = section.text("url", required=True).rstrip("/")
    if not re.match(r"^https?://[^/\s]+", url):
        raise ConfigError(f"{section.source}: [odoo] url: must start with http:// or https://")
    cfg = OdooConfig(
        url=url,
        token=section.text("token", required=True),
        timeout=section.seconds("timeout", OdooConfig.timeout),
        batch_size=section.integer("batch_size", OdooConfig.batch_size, low=1, high=1000),
        retry_min=section.seconds("retry_min", OdooConfig.retry_min),
        retry_max=section.seconds("retry_max", OdooConfig.retry_max),
        max_attempts=section.integer("max_attempts", OdooConfig.max_attempts, low=1, high=1000),
    )
    if cfg.retry_min > cfg.retry_max:
        raise ConfigError(f"{section.source}: [odoo] retry_min is larger than retry_max")
    return cfg


def _http(section):
    return HttpConfig(
        host=section.text("host", HttpConfig.host),
        port=section.integer("port", required=True, low=0, high=65535),
        token=section.text("token", required=True),
    )


def _spool(section, base_dir):
    path = Path(section.text("path", required=True)).expanduser()
    if not path.is_absolute():
        path = base_dir / path
    max_in_memory = section.integer("max_in_memory", SpoolConfig.max_in_memory, low=100, high=10_000_000)
    return SpoolConfig(path=path, max_in_memory=max_in_memory)


def _pbx(section):
    defaults = PbxConfig()
    values = {}
    for key in (
        "agent_channel",
        "agent_caller_id",
        "supervisor_channel",
        "supervisor_caller_id",
        "spy_target",
        "member_interface",
        "outbound_context",
        "notice_caller_id",
        "notice_context",
        "survey_context",
    ):
        values[key] = section.text(key, getattr(defaults, key))
    values["notice_channel"] = section.text("notice_channel", defaults.notice_channel)
    if "{number}" not in values["notice_channel"]:
        raise ConfigError(f"{section.source}: [pbx] notice_channel: must contain {{number}}")
    values["member_state_interface"] = section.text("member_state_interface", "") or ""
    values["originate_timeout"] = section.seconds("originate_timeout", defaults.originate_timeout)
    values["notice_timeout"] = section.seconds("notice_timeout", defaults.notice_timeout)
    values["extension_patterns"] = section.patterns("extension_patterns", defaults.extension_patterns)
    values["originate_contexts"] = section.names("originate_contexts", (values["outbound_context"],))
    return PbxConfig(**values)


def parse_config(data, source="<config>", base_dir=None):
    """Build a :class:`Config` from an already parsed TOML mapping."""
    base_dir = Path(base_dir or ".")
    log = _section(source, data, "log", required=False)
    level = (log.text("level", "INFO") or "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError(f"{source}: [log] level: unknown level {level!r}")
    return Config(
        ami=_ami(_section(source, data, "ami")),
        odoo=_odoo(_section(source, data, "odoo")),
        http=_http(_section(source, data, "http")),
        spool=_spool(_section(source, data, "spool"), base_dir),
        pbx=_pbx(_section(source, data, "pbx", required=False)),
        log_level=level,
    )


def load_config(path):
    """Read ``path`` (TOML) and return a checked :class:`Config`."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return parse_config(data, source=str(path), base_dir=path.resolve().parent)
