"""Shared by the benchmark scripts: an Odoo environment from the odoo-bin command line of scripts/lib.sh.

Usage of a script: ``python bench/<script>.py [script options] -- <odoo-bin options> -d DATABASE``.
Odoo itself is imported from ``$ODOO_PATH`` (set by scripts/setup.sh) when it is not installed.
"""

import contextlib
import os
import platform
import subprocess
import sys
import time


def split_argv(argv):
    """(script arguments, odoo-bin arguments), split at ``--``."""
    if "--" in argv:
        index = argv.index("--")
        return argv[:index], argv[index + 1 :]
    return argv, []


def import_odoo():
    odoo_path = os.environ.get("ODOO_PATH")
    if odoo_path and odoo_path not in sys.path:
        sys.path.insert(0, odoo_path)
    import odoo  # noqa: PLC0415

    return odoo


@contextlib.contextmanager
def odoo_env(odoo_args, uid=None):
    """An environment on the database named in ``odoo_args`` (-d), superuser unless ``uid``.

    The caller commits what it wants to keep; the rest is rolled back at the end.
    """
    odoo = import_odoo()
    odoo.tools.config.parse_config(list(odoo_args), setup_logging=True)
    dbname = odoo.tools.config["db_name"]
    if not dbname:
        raise SystemExit("No database: pass -d DATABASE after --")
    if isinstance(dbname, list):
        dbname = dbname[0]
    registry = odoo.modules.registry.Registry(dbname)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, uid or odoo.SUPERUSER_ID, {})
        try:
            yield env
        finally:
            cr.rollback()


class Timer:
    """``with Timer() as t: ...`` then ``t.seconds``."""

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
        return False


def machine_facts(cr=None):
    """A few lines about the machine the numbers come from."""
    facts = {
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "cpus": os.cpu_count(),
    }
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    facts["cpu"] = line.split(":", 1)[1].strip()
                    break
    with contextlib.suppress(OSError):
        with open("/proc/meminfo", encoding="utf-8") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal"):
                    facts["memory"] = f"{int(line.split()[1]) // 1024 // 1024} GiB"
                    break
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        facts["load"] = " ".join(open("/proc/loadavg", encoding="utf-8").read().split()[:3])
    if cr is not None:
        cr.execute("SHOW server_version")
        facts["postgresql"] = cr.fetchone()[0]
    return facts


def table_columns(cr, table):
    """The column names of ``table``."""
    cr.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND table_schema = current_schema()",
        [table],
    )
    return {row[0] for row in cr.fetchall()}


def check_required_columns(cr, table, values):
    """Stop when a generator gives no value for a NOT NULL column without a default (the schema changed)."""
    cr.execute(
        """SELECT column_name FROM information_schema.columns
            WHERE table_name = %s AND table_schema = current_schema()
              AND is_nullable = 'NO' AND column_default IS NULL""",
        [table],
    )
    missing = {row[0] for row in cr.fetchall()} - set(values) - {"id"}
    if missing:
        raise SystemExit(f"{table}: no value for the required column(s) {', '.join(sorted(missing))}")


def write_section(markdown, pattern, new, fallback=None):
    """Put the section ``new`` into the markdown file in place of ``pattern`` (or of ``fallback``, an
    older heading), else at its end. Read right before writing: other benchmarks write their own sections."""
    from pathlib import Path  # noqa: PLC0415

    path = Path(markdown)
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if pattern.search(text):
        text = pattern.sub(lambda _match: new, text, count=1)
    elif fallback is not None and fallback.search(text):
        text = fallback.sub(lambda _match: new + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + new
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def generated_columns(env, model, columns):
    """The generator's {column: SQL expression} the table of ``model`` has, after checking that no
    required column is missing; says what is left out and which stored computed fields stay empty."""
    import logging  # noqa: PLC0415

    logger = logging.getLogger("bench")
    table = env[model]._table
    existing = table_columns(env.cr, table)
    unknown = set(columns) - existing
    if unknown:
        logger.warning("%s has no column(s) %s: left out", table, ", ".join(sorted(unknown)))
    columns = {name: expression for name, expression in columns.items() if name in existing}
    check_required_columns(env.cr, table, columns)
    computed = [
        name
        for name, field in env[model]._fields.items()
        if field.store and field.compute and name not in columns and field.column_type
    ]
    if computed:
        logger.warning("stored computed fields left empty by the generator: %s", ", ".join(computed))
    return columns
