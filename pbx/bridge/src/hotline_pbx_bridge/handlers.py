"""One ``def on_<event>`` per AMI event, in a dict from event name to handler.

A handler hands the event to the call or agent tracker and puts what comes
back into the outbox.  Handlers are plain functions called directly by the
AMI dispatch (no task per event), so events are applied in the order Asterisk
sent them.  :meth:`Handlers.resync` runs after every login.
"""

import logging
import time

from .ami import AmiError, AmiNotConnected
from .calls import value

_logger = logging.getLogger(__name__)

EVENTS = {
    "Newchannel": "on_newchannel",
    "Newstate": "on_newstate",
    "NewCallerid": "on_newcallerid",
    "VarSet": "on_varset",
    "OriginateResponse": "on_originateresponse",
    "DialBegin": "on_dialbegin",
    "DialEnd": "on_dialend",
    "QueueCallerJoin": "on_queuecallerjoin",
    "QueueCallerLeave": "on_queuecallerleave",
    "QueueCallerAbandon": "on_queuecallerabandon",
    "AgentCalled": "on_agentcalled",
    "AgentConnect": "on_agentconnect",
    "AgentComplete": "on_agentcomplete",
    "BridgeEnter": "on_bridgeenter",
    "BridgeLeave": "on_bridgeleave",
    "Hangup": "on_hangup",
    "Cdr": "on_cdr",
    "QueueMemberStatus": "on_queuememberstatus",
    "QueueMemberPause": "on_queuememberpause",
    "QueueMemberAdded": "on_queuememberadded",
    "QueueMemberRemoved": "on_queuememberremoved",
    "InvalidPassword": "on_invalidpassword",
}
# Asterisk's Shutdown event needs the AMI read class "system", which the
# bridge's user does not get (manager.conf): a shutdown shows as the AMI
# connection closing, which the bridge logs and recovers from.


class Handlers:
    """Glue between the AMI events and the trackers."""

    def __init__(self, calls, agents, outbox):
        self.calls = calls
        self.agents = agents
        self.outbox = outbox
        self.last_event_time = None
        self.events_seen = 0

    def table(self):
        """``{AMI event name: handler}``: what :meth:`register` installs."""
        return {event: getattr(self, method) for event, method in EVENTS.items()}

    def register(self, ami):
        ami.on_every_event(self.on_any)
        for event, handler in self.table().items():
            ami.register_event(event, handler)

    def _emit(self, items):
        self.outbox.put_all(items)

    # -- every event ----------------------------------------------------------

    def on_any(self, name):
        self.last_event_time = time.time()
        self.events_seen += 1

    # -- channels -------------------------------------------------------------

    def on_newchannel(self, manager, event):
        self._emit(self.calls.newchannel(event))

    def on_newstate(self, manager, event):
        self._emit(self.calls.touch(event))

    def on_newcallerid(self, manager, event):
        self._emit(self.calls.touch(event))

    def on_varset(self, manager, event):
        self._emit(self.calls.varset(event))

    def on_originateresponse(self, manager, event):
        self._emit(self.calls.originate_response(event))

    def on_dialbegin(self, manager, event):
        self._emit(self.calls.dial_begin(event))

    def on_dialend(self, manager, event):
        self._emit(self.calls.dial_end(event))

    def on_bridgeenter(self, manager, event):
        self._emit(self.calls.touch(event))

    def on_bridgeleave(self, manager, event):
        self._emit(self.calls.touch(event))

    def on_hangup(self, manager, event):
        self._emit(self.calls.hangup(event))

    def on_cdr(self, manager, event):
        self._emit(self.calls.cdr(event))

    # -- queue callers and agents ----------------------------------------------

    def on_queuecallerjoin(self, manager, event):
        self._emit(self.calls.queue_caller_join(event))

    def on_queuecallerleave(self, manager, event):
        self._emit(self.calls.queue_caller_leave(event))

    def on_queuecallerabandon(self, manager, event):
        self._emit(self.calls.queue_caller_abandon(event))

    def on_agentcalled(self, manager, event):
        self._emit(self.calls.agent_called(event))

    def on_agentconnect(self, manager, event):
        self._emit(self.calls.agent_connect(event))

    def on_agentcomplete(self, manager, event):
        self._emit(self.calls.agent_complete(event))

    def on_queuememberstatus(self, manager, event):
        self._emit(self.agents.member_status(event))

    def on_queuememberpause(self, manager, event):
        self._emit(self.agents.member_status(event))

    def on_queuememberadded(self, manager, event):
        self._emit(self.agents.member_status(event))

    def on_queuememberremoved(self, manager, event):
        self._emit(self.agents.member_removed(event))

    # -- system -----------------------------------------------------------------

    def on_invalidpassword(self, manager, event):
        _logger.warning(
            "Asterisk reports a failed AMI login for %r from %s",
            value(event, "AccountID"),
            value(event, "RemoteAddress"),
        )

    # -- after each login ---------------------------------------------------------

    async def resync(self, ami):
        """Catch up with what happened while the bridge was not listening."""
        channels_before = self.calls.known_channels()
        members_before = self.agents.known_members()
        try:
            answer = await ami.send({"Action": "CoreShowChannels"}, as_list=None)
            entries = [m for m in _events(answer) if m.event == "CoreShowChannel"]
            self._emit(self.calls.resync_channels(entries, channels_before))
            answer = await ami.send({"Action": "QueueStatus"}, as_list=None)
            messages = _events(answer)
            members = [m for m in messages if m.event == "QueueMember"]
            waiting = [m for m in messages if m.event == "QueueEntry"]
            self._emit(self.calls.resync_queue_entries(waiting, channels_before))
            self._emit(self.agents.resync(members, members_before))
        except (AmiError, TimeoutError) as exc:
            _logger.warning("AMI resync incomplete: %s", exc)
            return
        except AmiNotConnected:
            raise
        _logger.info(
            "AMI resync: %d channel(s), %d call(s) in progress, %d queue member(s)",
            len(entries),
            len(self.calls.calls),
            len(members),
        )


def _events(answer):
    return answer[1:] if isinstance(answer, list) else []
