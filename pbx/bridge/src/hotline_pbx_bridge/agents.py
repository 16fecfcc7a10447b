"""Agent (queue member) states from QueueMember* events.

Asterisk reports a member's device state (``Status``, AST_DEVICE_*) and its
pause flag separately; Odoo wants one state per agent:
``offline | available | paused | ringing | on_call``.  A member on the phone
is ``on_call`` even when paused (the pause shows again once the call ends).
An ``agent_state`` payload is produced only when the state of a (queue,
member) pair changes, so repeated events and resyncs stay quiet.
"""

import itertools
import time

from .calls import EVENT_FIELDS, ExtensionMatcher, event_time, iso, to_int, value

DEVICE_STATES = {
    0: "unknown",
    1: "not_inuse",
    2: "inuse",
    3: "busy",
    4: "invalid",
    5: "unavailable",
    6: "ringing",
    7: "ringinuse",
    8: "onhold",
}


def agent_state(status, paused):
    """Map an AST_DEVICE_* code and the pause flag to the Odoo agent state."""
    if status in (4, 5):
        return "offline"
    if status in (2, 3, 7, 8):
        return "on_call"
    if status == 6:
        return "ringing"
    if paused:
        return "paused"
    return "available"


class AgentTracker:
    """Last known state of each queue member."""

    def __init__(self, extension_patterns):
        self.extension_of = ExtensionMatcher(extension_patterns)
        self.members = {}  # (queue, interface) -> (state, paused, reason)
        self._serial = itertools.count()

    def member_status(self, event):
        """QueueMemberStatus, QueueMemberPause, QueueMemberAdded, QueueMember."""
        status = to_int(value(event, "Status"), 0)
        paused = value(event, "Paused") in ("1", "true", "yes")
        return self._update(event, agent_state(status, paused), paused, status)

    def member_removed(self, event):
        """QueueMemberRemoved: the agent logged out of that queue."""
        out = self._update(event, "offline", False, to_int(value(event, "Status"), 0))
        self.members.pop(self._key(event), None)
        return out

    def _key(self, event):
        interface = value(event, "Interface") or value(event, "Location")
        return (value(event, "Queue"), interface)

    def _update(self, event, state, paused, status):
        key = self._key(event)
        reason = value(event, "PausedReason") if paused else ""
        if self.members.get(key) == (state, paused, reason):
            return []
        self.members[key] = (state, paused, reason)
        ext = self.extension_of.member(event)
        ts = event_time(event)
        payload = dict(EVENT_FIELDS)
        payload.update(
            id=f"agent:{ext or key[1]}:{key[0]}:{int(ts * 1000)}:{next(self._serial)}",
            kind="agent_state",
            time=iso(ts),
            raw_event=value(event, "Event"),
            extension=ext,
            queue=key[0],
            interface=key[1],
            member_name=value(event, "MemberName") or value(event, "Name"),
            state=state,
            paused=paused,
            pause_reason=reason,
            status_code=status,
            device_state=DEVICE_STATES.get(status, "unknown"),
        )
        return [("event", payload)]

    def known_members(self):
        return set(self.members)

    def resync(self, members, known_before):
        """Apply the QueueMember events of a QueueStatus answer.

        Members that disappeared while the bridge was away are logged out.
        """
        out = []
        present = set()
        for member in members:
            present.add(self._key(member))
            out.extend(self.member_status(member))
        for queue, interface in sorted(set(known_before) - present):
            if (queue, interface) not in self.members:  # already logged out meanwhile
                continue
            gone = {"Event": "QueueStatus", "Queue": queue, "Interface": interface}
            gone["Timestamp"] = str(time.time())
            out.extend(self.member_removed(gone))
        return out
