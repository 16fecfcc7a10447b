"""``GET /metrics``: the bridge's state in Prometheus' text exposition format.

Written by hand (a dozen lines of text; no client library to install): one
``# HELP`` / ``# TYPE`` pair and one sample per metric, no labels.
"""

METRICS = (
    # (name, type, help, key of Bridge.status(), converter)
    ("hotline_bridge_ami_connected", "gauge", "1 while the AMI connection is logged in.", "ami_connected", int),
    ("hotline_bridge_ami_logins_total", "counter", "Successful AMI logins (reconnects).", "ami_logins", int),
    (
        "hotline_bridge_ami_events_total",
        "counter",
        "AMI events received; rate() gives events per second.",
        "events",
        int,
    ),
    ("hotline_bridge_spool_depth", "gauge", "Items stored and not yet acknowledged by Odoo.", "spool_depth", int),
    (
        "hotline_bridge_delivery_lag_seconds",
        "gauge",
        "Age of the oldest item Odoo has not acknowledged (0 when the spool is empty).",
        "delivery_lag",
        float,
    ),
    ("hotline_bridge_dead_letters", "gauge", "Items in the dead-letter table (alert when > 0).", "dead_letters", int),
    (
        "hotline_bridge_dropped_total",
        "counter",
        "Newer items dropped while the spool could not be written and memory was full.",
        "dropped",
        int,
    ),
    ("hotline_bridge_delivered_total", "counter", "Items acknowledged by Odoo.", "delivered", int),
    ("hotline_bridge_calls_in_progress", "gauge", "Calls the bridge is following.", "calls_in_progress", int),
)


def render_metrics(status):
    """The exposition text for one ``Bridge.status()`` dict."""
    lines = []
    for name, kind, text, key, convert in METRICS:
        value = convert(status.get(key) or 0)
        lines.append(f"# HELP {name} {text}")
        lines.append(f"# TYPE {name} {kind}")
        lines.append(f"{name} {value:.6g}" if isinstance(value, float) else f"{name} {value}")
    return "\n".join(lines) + "\n"
