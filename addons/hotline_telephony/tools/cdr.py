"""Asterisk CDRs: ``Master.csv`` lines (cdr_csv) and the bridge's Cdr payloads.

Pure Python, no ORM, so that the importer can run on 200,000 rows at once:

* :func:`parse_master_csv` reads a file (with or without a header row, with or
  without the ``peeraccount, linkedid, sequence`` columns) into :class:`CdrRow`
  objects and a list of ``(line, reason)`` for the rows it refuses;
* :func:`group_rows` puts the rows of one logical call together: by linkedid
  where the rows carry it, else by channel relations (the ``;1``/``;2`` halves
  of a Local channel, ``dstchannel`` chains, the same uniqueid) within the
  call's time span;
* :func:`summarize_call` derives what an operator calls "a call" from its rows:
  direction, numbers, queue, the agent who answered, answer time (the agent's,
  not the IVR's), wait and talk seconds and the disposition (an abandoned queue
  call is ``abandoned`` although Asterisk wrote ANSWERED: the hotline answers
  before queueing).
"""

import csv
import functools
import itertools
import operator
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytz

from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)

BASE_COLUMNS = (
    "accountcode",
    "src",
    "dst",
    "dcontext",
    "clid",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "start",
    "answer",
    "end",
    "duration",
    "billsec",
    "disposition",
    "amaflags",
)
# cdr_csv writes uniqueid (loguniqueid), userfield (loguserfield), then
# peeraccount, linkedid, sequence (newcdrcolumns): the count tells the layout.
LAYOUTS = {
    17: (*BASE_COLUMNS, "uniqueid"),
    18: (*BASE_COLUMNS, "uniqueid", "userfield"),
    20: (*BASE_COLUMNS, "uniqueid", "peeraccount", "linkedid", "sequence"),
    21: (*BASE_COLUMNS, "uniqueid", "userfield", "peeraccount", "linkedid", "sequence"),
}
CDR_TEXT_FIELDS = (
    "accountcode",
    "src",
    "dst",
    "dcontext",
    "clid",
    "channel",
    "dstchannel",
    "lastapp",
    "lastdata",
    "disposition",
    "amaflags",
    "userfield",
    "peeraccount",
    "linkedid",
)
TEXT_LIMIT = 1024
UNIQUEID_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
# The centre's phones: SIP endpoints (PJSIP/1001-0000002a) and Local channels
# into the phone contexts (Local/1001@agents-00000001;2, Local/1001@agents/n).
EXTENSION_RE = re.compile(
    r"^(?:PJSIP|SIP|IAX2)/(\d{2,6})(?:-[0-9A-Fa-f]+)?$"
    r"|^Local/(\d{2,6})@(?:agents|supervisors)(?:-[0-9A-Fa-f]+)?(?:;\d|/n)?$"
)
EPOCH_RE = re.compile(r"\d{9,11}(\.\d+)?")
CLID_RE = re.compile(r'^\s*"?(?P<name>[^"<]*?)"?\s*<(?P<number>[^>]*)>\s*$')
DISPOSITIONS = {
    "ANSWERED": "answered",
    "NO ANSWER": "no_answer",
    "NOANSWER": "no_answer",
    "BUSY": "busy",
    "FAILED": "failed",
    "CONGESTION": "failed",
}
GROUP_SLACK = timedelta(seconds=2)


class CdrError(ValueError):
    """A CDR row that cannot be stored; ``message`` is a lazily translated reason."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(slots=True, eq=False)
class CdrRow:
    """One CDR record, as stored in ``hotline.call.cdr``."""

    uniqueid: str
    start: datetime
    sequence: int | None = None
    accountcode: str = ""
    src: str = ""
    dst: str = ""
    dcontext: str = ""
    clid: str = ""
    channel: str = ""
    dstchannel: str = ""
    lastapp: str = ""
    lastdata: str = ""
    answer: datetime | None = None
    end: datetime | None = None
    duration: int = 0
    billsec: int = 0
    disposition: str = ""
    amaflags: str = ""
    userfield: str = ""
    peeraccount: str = ""
    linkedid: str = ""
    line: int = 0  # line in the imported file
    id: int = 0  # hotline.call.cdr id once stored
    call_id: int = 0  # hotline.call id once grouped
    call_linkedid: str = ""  # that call's linkedid
    fingerprint: str = ""
    extra_moved: bool = False  # a stored row grouped into another call than its own

    @property
    def stop(self):
        return self.end or self.answer or self.start


# ----------------------------------------------------------------------
# values
# ----------------------------------------------------------------------


# the dialplan applications of a supervisor's session on another call
MONITORING_APPS = frozenset({"ChanSpy", "PickupChan"})


def uniqueid_key(uniqueid):
    """Sort key of an Asterisk uniqueid (``[system-]epoch.counter``): creation order."""
    head, _sep, counter = (uniqueid or "").rpartition(".")
    epoch = head.rpartition("-")[2]
    try:
        return (0, int(epoch), int(counter), uniqueid)
    except ValueError:
        return (1, 0, 0, uniqueid or "")


def channel_base(name):
    """A channel without the ``;1``/``;2`` half of a Local channel."""
    name = (name or "").strip()
    if name.startswith("Local/") and len(name) > 2 and name[-2] == ";":
        return name[:-2]
    return name


def agent_extension(channel, pattern=EXTENSION_RE):
    """The centre's extension a channel (or queue interface) belongs to, '' for anything else."""
    match = pattern.match((channel or "").strip())
    if not match:
        return ""
    return next((group for group in match.groups() if group), "")


def is_monitoring_session(direction, caller_number, called_number, extension):
    """Whether a call is the PBX ringing a supervisor's own phone to listen in, whisper, barge in or
    pick up a ringing call (the Originate of ChanSpy or PickupChan): that phone calls itself, the
    caller and the called number both being its extension. Not a call of the hotline."""
    return bool(extension) and direction != "inbound" and caller_number == called_number == extension


def parse_clid(clid):
    """``"Zhang San" <13800138000>`` gives ``("Zhang San", "13800138000")``."""
    match = CLID_RE.match(clid or "")
    if not match:
        return "", (clid or "").strip()
    return match.group("name").strip(), match.group("number").strip()


def parse_cdr_time(text, tz=None, cache=None):
    """A CDR time as naive UTC.

    cdr_csv writes local time (``usegmtime = no``) as ``2026-11-26 00:09:34``:
    ``tz`` (a pytz timezone) says which; ISO-8601 with an offset and epoch
    seconds are accepted too. Empty gives None; anything else raises ValueError.
    """
    text = (text or "").strip() if isinstance(text, str) else text
    if text in ("", None):
        return None
    if cache is not None and text in cache:
        return cache[text]
    if isinstance(text, (int, float)) or EPOCH_RE.fullmatch(text):
        value = datetime.fromtimestamp(float(text), UTC).replace(tzinfo=None)
    else:
        value = datetime.fromisoformat(text)
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        elif tz is not None and tz is not pytz.utc:
            value = _local_to_utc(value, tz)
    value = value.replace(microsecond=0)
    if cache is not None:
        cache[text] = value
    return value


def _local_to_utc(value, tz):
    """``tz.localize(value, is_dst=False)`` as naive UTC; pytz's localize costs twenty times more than
    the subtraction of the offset it finds, which only changes where the clocks change."""
    offset = _hour_offset(tz, value.replace(minute=0, second=0, microsecond=0))
    if offset is None:
        return tz.localize(value, is_dst=False).astimezone(pytz.utc).replace(tzinfo=None)
    return value - offset


@functools.lru_cache(maxsize=4096)
def _hour_offset(tz, hour):
    """The UTC offset of the local times of an hour in ``tz``; None when the clocks change within it."""
    try:
        first = tz.localize(hour, is_dst=False).utcoffset()
        last = tz.localize(hour + timedelta(minutes=59, seconds=59), is_dst=False).utcoffset()
    except (OverflowError, ValueError):
        return None
    return first if first == last else None


def _coerce_text(key, raw):
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise CdrError(_lt("%(column)s must be text", column=key))
    return str(raw)


def _integer(raw, key):
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise CdrError(_lt("%(column)s is not a number: %(value)s", column=key, value=raw))
    try:
        number = raw if raw.__class__ is int else int(str(raw).strip())
    except ValueError:
        raise CdrError(_lt("%(column)s is not a number: %(value)s", column=key, value=raw)) from None
    if number < 0 or number > 2**31 - 1:
        raise CdrError(_lt("%(column)s is out of range: %(value)s", column=key, value=raw))
    return number


def _time(raw, key, tz, cache):
    if raw is None or raw == "":
        return None
    if cache is not None and raw.__class__ is str:
        value = cache.get(raw)
        if value is not None:
            return value
    try:
        return parse_cdr_time(raw, tz, cache)
    except (TypeError, ValueError, OverflowError):
        raise CdrError(_lt("%(column)s is not a date and time: %(value)s", column=key, value=raw)) from None


def row_from_payload(values, tz=None, cache=None):
    """A :class:`CdrRow` from a mapping of CDR columns (a CSV line or the bridge's payload)."""
    if not isinstance(values, dict):
        raise CdrError(_lt("a CDR must be an object"))
    get = values.get
    texts = {key: get(key) or "" for key in CDR_TEXT_FIELDS}
    if any(value.__class__ is not str for value in texts.values()):
        texts = {key: value if value.__class__ is str else _coerce_text(key, value) for key, value in texts.items()}
    if max(map(len, texts.values())) > TEXT_LIMIT:
        key = next(key for key, value in texts.items() if len(value) > TEXT_LIMIT)
        raise CdrError(_lt("%(column)s is longer than %(limit)s characters", column=key, limit=TEXT_LIMIT))
    if "\0" in "".join(texts.values()):
        key = next(key for key, value in texts.items() if "\0" in value)
        raise CdrError(_lt("%(column)s contains a NUL character", column=key))
    texts = {key: value.strip() for key, value in texts.items()}
    uniqueid = get("uniqueid")
    uniqueid = (
        (uniqueid if uniqueid.__class__ is str else _coerce_text("uniqueid", uniqueid)).strip() if uniqueid else ""
    )
    if not uniqueid:
        raise CdrError(_lt("uniqueid is missing"))
    if not UNIQUEID_RE.match(uniqueid):
        raise CdrError(_lt("uniqueid is not an Asterisk uniqueid: %(value)s", value=uniqueid))
    linkedid = texts["linkedid"]
    if linkedid and not UNIQUEID_RE.match(linkedid):
        raise CdrError(_lt("linkedid is not an Asterisk uniqueid: %(value)s", value=linkedid))
    start = _time(get("start"), "start", tz, cache)
    if start is None:
        raise CdrError(_lt("start is missing"))
    end = _time(get("end"), "end", tz, cache)
    if end and end < start:
        raise CdrError(_lt("end is before start"))
    texts["disposition"] = texts["disposition"].upper()
    return CdrRow(
        uniqueid=uniqueid,
        start=start,
        answer=_time(get("answer"), "answer", tz, cache),
        end=end,
        duration=_integer(get("duration"), "duration") or 0,
        billsec=_integer(get("billsec"), "billsec") or 0,
        sequence=_integer(get("sequence"), "sequence"),
        **texts,
    )


# ----------------------------------------------------------------------
# Master.csv
# ----------------------------------------------------------------------


def _decode(data):
    if isinstance(data, str):
        return data
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def _is_header(cells):
    names = {cell.strip().lower() for cell in cells}
    return {"uniqueid", "start"} <= names


def _cells_to_values(cells, header):
    if header is not None:
        if len(cells) != len(header):
            raise CdrError(
                _lt("%(count)s columns where the header has %(expected)s", count=len(cells), expected=len(header))
            )
        return dict(zip(header, cells, strict=True))
    layout = LAYOUTS.get(len(cells))
    if layout is None:
        if len(cells) == 16:
            raise CdrError(_lt("no uniqueid column: enable loguniqueid in cdr.conf"))
        raise CdrError(_lt("%(count)s columns; expected 17, 18, 20 or 21", count=len(cells)))
    return dict(zip(layout, cells, strict=True))


def _physical_records(text):
    """``(line number, cells, reason)`` for each physical line of ``text``: ``cells`` is None and
    ``reason`` says why for a line that is not one CSV record.

    Asterisk's cdr_csv writes one record per line, so a record never continues on the next line:
    a line with an unclosed quote is refused on its own instead of swallowing the lines after it.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if "\r" in text:
        lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    try:
        records = list(csv.reader(lines))
    except csv.Error:
        records = None
    if records is not None and len(records) == len(lines):  # each line one record: the usual file
        yield from zip(itertools.count(1), records, itertools.repeat(None))
        return
    first = 0  # index of the line the current reader starts at
    while first < len(lines):
        reader = csv.reader(lines[first:] if first else lines)
        line = first  # the line of the last record read
        try:
            for cells in reader:
                line += 1
                if first + reader.line_num != line:  # the record ran over the end of its line
                    yield line, None, _lt("unclosed quote: the line ends inside a quoted field")
                    break
                yield line, cells, None
            else:
                return
        except csv.Error as exc:
            line += 1
            yield line, None, _lt("unreadable CSV line: %(error)s", error=str(exc))
        first = line  # start again on the line after the refused one


class _CellReader:
    """Makes :class:`CdrRow` objects from the cells of CSV lines of one layout, fast.

    The same checks and conversions as :func:`row_from_payload` on the same cells, with the values
    of times and numbers cached (a file repeats them); a line that fails any check is left to
    :func:`row_from_payload` (``None``), which says why. ``names``: the column of each cell.
    """

    def __init__(self, names, tz, cache):
        position = {name: index for index, name in enumerate(names)}  # the last one wins, as dict(zip)
        missing = len(names)  # the cell appended to each line: the empty value of a missing column
        self.texts = operator.itemgetter(*(position.get(name, missing) for name in CDR_TEXT_FIELDS))
        self.uniqueid = position.get("uniqueid", missing)
        self.times = tuple(position.get(name, missing) for name in ("start", "answer", "end"))
        self.numbers = tuple(position.get(name, missing) for name in ("duration", "billsec"))
        self.sequence = position.get("sequence")
        self.tz = tz
        self.cache = cache  # time text: naive UTC datetime (shared with row_from_payload)
        self.integers = {"": None}

    def row(self, cells):
        """The row of ``cells`` (a list, extended in place), or None when a check fails."""
        cells.append("")
        if max(map(len, cells)) > TEXT_LIMIT:
            return None
        uniqueid = cells[self.uniqueid].strip()
        if not UNIQUEID_RE.match(uniqueid):
            return None
        texts = list(map(str.strip, self.texts(cells)))
        if texts[13] and not UNIQUEID_RE.match(texts[13]):  # linkedid
            return None
        cache, (start, answer, end) = self.cache, self.times
        start = cache.get(cells[start]) or self._time(cells[start])
        answer = cache.get(cells[answer]) or self._time(cells[answer])
        end = cache.get(cells[end]) or self._time(cells[end])
        if not start or start is _BAD or answer is _BAD or end is _BAD or (end and end < start):
            return None
        duration, billsec = self.numbers
        duration, billsec = self._integer(cells[duration]), self._integer(cells[billsec])
        sequence = None if self.sequence is None else self._integer(cells[self.sequence])
        if duration is _BAD or billsec is _BAD or sequence is _BAD:
            return None
        return CdrRow(
            uniqueid,
            start,
            sequence,
            *texts[:9],
            answer,
            end,
            duration or 0,
            billsec or 0,
            texts[9].upper(),
            *texts[10:],
        )

    def _time(self, raw):
        """The time of ``raw`` (not in the cache): None when empty, _BAD when unreadable."""
        try:
            return parse_cdr_time(raw, self.tz, self.cache)
        except (TypeError, ValueError, OverflowError):
            return _BAD

    def _integer(self, raw):
        try:
            return self.integers[raw]
        except KeyError:
            pass
        try:
            value = _integer(raw, "")
        except CdrError:
            return _BAD
        if len(self.integers) < 10000:
            self.integers[raw] = value
        return value


_BAD = object()  # a value that fails its check (see _CellReader)


def _cell_reader(readers, count, header, tz, cache):
    """The :class:`_CellReader` of lines of ``count`` cells (kept in ``readers``), None when no layout
    has that many columns (the full check says so)."""
    if count not in readers:
        if header is None:
            names = LAYOUTS.get(count)
        else:
            names = header if count == len(header) else None
        readers[count] = names and _CellReader(names, tz, cache)
    return readers[count]


def parse_master_csv(data, tz=None):
    """Read an Asterisk ``Master.csv``.

    Returns ``(rows, errors)``: the good rows (:class:`CdrRow` with ``line``
    set) and ``[(line, reason), ...]`` for the others. Each physical line is
    one record (see :func:`_physical_records`). A row without a ``sequence``
    column gets the rank of its uniqueid in the file (a caller's channel
    writes a second record after a transfer), so that importing the same file
    again gives the same keys.
    """
    text = _decode(data)
    rows, errors, header, cache = [], [], None, {}
    readers = {}  # number of cells: _CellReader of the layout (None: no layout)
    checked = "\0" not in text  # a NUL anywhere: every line takes the full check, which names it
    first = True
    for line, cells, reason in _physical_records(text):
        if cells is None:
            errors.append((line, reason))
            continue
        if not any(map(str.strip, cells)):
            continue
        if first:
            first = False
            if _is_header(cells):
                header = [cell.strip().lower() for cell in cells]
                continue
        row = None
        reader = checked and _cell_reader(readers, len(cells), header, tz, cache)
        if reader:
            row = reader.row(cells)
            del cells[-1]
        if row is None:
            try:
                row = row_from_payload(_cells_to_values(cells, header), tz, cache)
            except CdrError as exc:
                errors.append((line, exc.message))
                continue
        row.line = line
        rows.append(row)
    assign_sequences(rows)
    return rows, errors


def assign_sequences(rows):
    """Give rows without a sequence the rank of their uniqueid among the rows (file order)."""
    if all(row.sequence is not None for row in rows):
        return rows
    seen = Counter()
    for row in rows:
        if row.sequence is None:
            row.sequence = seen[row.uniqueid]
        seen[row.uniqueid] += 1
    return rows


# ----------------------------------------------------------------------
# grouping
# ----------------------------------------------------------------------


class _UnionFind:
    def __init__(self, size):
        self.parent = list(range(size))

    def find(self, index):
        parent = self.parent
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    def union(self, left, right):
        left, right = self.find(left), self.find(right)
        if left != right:
            self.parent[max(left, right)] = min(left, right)


def group_rows(rows):
    """Split ``rows`` into logical calls; returns a list of lists of rows, each in time order.

    Rows carrying a linkedid (or already grouped into a call) are grouped by it.
    The others join the rows they are related to by channel: the same uniqueid,
    the two halves of a Local channel (``...-00000000;1`` / ``;2``) or a
    ``dstchannel`` naming another row's channel, provided their time spans
    overlap (Local channel names come back after an Asterisk restart).
    """
    keys = [(row.start, uniqueid_key(row.uniqueid)) for row in rows]
    order = sorted(range(len(rows)), key=keys.__getitem__)
    links = _UnionFind(len(rows))
    union = links.union
    by_key, by_uniqueid, recent = {}, {}, {}
    for index in order:
        row = rows[index]
        key = row.call_linkedid or row.linkedid
        if key:
            other = by_key.setdefault(key, index)
            if other != index:
                union(index, other)
        other = by_uniqueid.setdefault(row.uniqueid, index)
        if other != index:
            union(index, other)
        # channel_base(), inlined (a fifth of the time of the loop)
        channel, dstchannel = row.channel.strip(), row.dstchannel.strip()
        if channel[-2:-1] == ";" and channel.startswith("Local/"):
            channel = channel[:-2]
        if dstchannel[-2:-1] == ";" and dstchannel.startswith("Local/"):
            dstchannel = dstchannel[:-2]
        for name in (channel, dstchannel) if channel != dstchannel else (channel,):
            if not name:
                continue
            # (row, end of its time span with the slack, its call's key) of the rows of that channel
            entry = (index, row.stop + GROUP_SLACK, key)
            seen = recent.get(name)
            if seen is None:
                recent[name] = [entry]
                continue
            alive = [other for other in seen if other[1] >= row.start]
            for other, _until, other_key in alive:
                if not (key and other_key) or key == other_key:
                    union(index, other)
            alive.append(entry)
            recent[name] = alive
    groups = {}
    find = links.find
    for index in order:
        groups.setdefault(find(index), []).append(rows[index])
    return list(groups.values())


def group_linkedid(rows):
    """The linkedid of a group of rows.

    The one the rows carry (Asterisk's own), else the first channel's uniqueid. A call already
    stored for some of the rows keeps its linkedid when it is not later than that first uniqueid
    (the bridge's events name the call by its first channel, which may have written no CDR).
    """
    carried = [row.linkedid for row in rows if row.linkedid]
    if carried:  # (a Counter for every group cost a twentieth of an import without linkedids)
        counts = Counter(carried)
        return min(counts, key=lambda lid: (-counts[lid], uniqueid_key(lid)))
    first = min((row.uniqueid for row in rows), key=uniqueid_key)
    known = [row.call_linkedid for row in rows if row.call_linkedid]
    if known:
        earliest = min(known, key=uniqueid_key)
        if uniqueid_key(earliest) <= uniqueid_key(first):
            return earliest
    return first


# ----------------------------------------------------------------------
# the call from its rows
# ----------------------------------------------------------------------


def _seconds(later, earlier):
    if not later or not earlier:
        return 0
    return max(0, int(round((later - earlier).total_seconds())))


def _leg_of(rows, channel):
    """The row of the other half of a Local channel (the ``;2`` leg running the dialplan): its answered
    row when it has several (``Dial(...,G(...))`` splits the leg's CDR at the answer: the ``Dial`` row
    has no answer time, the row of the ``G()`` target has it)."""
    base = channel_base(channel)
    legs = [row for row in rows if row.channel != channel and channel_base(row.channel) == base]
    answered = [row for row in legs if row.answer]
    if answered:
        return min(answered, key=lambda row: row.answer)
    return legs[0] if legs else None


def _dialled(row, options):
    """The number the root row dialled, without the trunk prefix of the outbound context."""
    number = row.dst
    prefix = options.get("outbound_prefix") or ""
    context = options.get("outbound_context") or ""
    if prefix and number.startswith(prefix) and len(number) > 6 and (not context or row.dcontext == context):
        number = number[len(prefix) :]
    return number


def _inbound(rows, root, options, values):
    pattern = options.get("extension_re") or EXTENSION_RE
    name, number = parse_clid(root.clid)
    values.update(
        direction="inbound",
        caller_number=root.src or number,
        caller_name=name if name and name != root.src else "",
        called_number=root.dst,
    )
    queue_rows = [row for row in rows if row.lastapp.lower() == "queue"]
    if queue_rows:
        values["queue"] = queue_rows[0].lastdata.split(",")[0].strip()
    entered = queue_rows[0].answer or queue_rows[0].start if queue_rows else root.answer or root.start
    answers, stops = [], []
    for row in rows:
        if not row.dstchannel or row.disposition not in ("ANSWERED", ""):
            continue
        ext = agent_extension(row.dstchannel, pattern)
        if not ext:
            continue
        leg = _leg_of(rows, row.dstchannel)
        if leg is not None and not leg.answer:
            continue  # the agent's phone rang but never answered
        answers.append((leg.answer if leg is not None else row.answer or row.start, ext))
        stops.append(leg.stop if leg is not None else row.stop)
    if answers:
        answer = min(answers)[0]
        values.update(
            disposition="answered",
            answer_time=answer,
            # the agent who took the call last (a transfer hands it over), as the bridge's events do
            extension=max(answers)[1],
            wait_seconds=_seconds(answer, entered),
            talk_seconds=_seconds(max(stops), answer),
        )
        return
    if queue_rows or root.disposition == "ANSWERED":
        # the hotline answers before queueing: nobody took it, the caller gave up
        values.update(disposition="abandoned", wait_seconds=_seconds(values["end_time"], entered), talk_seconds=0)
        return
    values.update(
        disposition=DISPOSITIONS.get(root.disposition, "failed"),
        wait_seconds=_seconds(values["end_time"], root.start),
        talk_seconds=0,
    )


def _from_extension(rows, root, root_ext, options, values):
    pattern = options.get("extension_re") or EXTENSION_RE
    far_ext = agent_extension(root.dstchannel, pattern)
    number = _dialled(root, options)
    internal = bool(far_ext) or (number.isdigit() and len(number) <= 6)
    values.update(
        direction="internal" if internal else "outbound",
        caller_number=root_ext,
        caller_name=parse_clid(root.clid)[0],
        called_number=far_ext or number,
        extension=root_ext,
    )
    far = _leg_of(rows, root.dstchannel) if root.dstchannel else None
    answer = far.answer if far is not None else root.answer
    disposition = DISPOSITIONS.get(root.disposition, "failed")
    if disposition == "answered" and answer:
        values.update(
            disposition="answered",
            answer_time=answer,
            wait_seconds=_seconds(answer, values["start_time"]),
            talk_seconds=_seconds(values["end_time"], answer),
        )
    else:
        values.update(
            disposition="no_answer" if disposition == "answered" else disposition,
            wait_seconds=_seconds(values["end_time"], values["start_time"]),
            talk_seconds=0,
        )


def summarize_call(rows, linkedid, options=None, ordered=False):
    """The ``hotline.call`` values a group of CDR rows gives.

    ``options``: ``outbound_prefix``, ``outbound_context`` (the PBX's) and
    ``extension_re`` (a compiled pattern: which channels are the centre's phones).
    Returns a dict with direction, caller_number, caller_name, called_number,
    queue, start_time, answer_time, end_time, wait_seconds, talk_seconds,
    disposition, ``extension`` (the agent's) and ``monitoring`` (a supervisor's session).
    ``ordered``: the rows are in time order already (as :func:`group_rows` gives them).
    """
    options = options or {}
    if not ordered:
        rows = sorted(rows, key=lambda row: (row.start, uniqueid_key(row.uniqueid)))
    root = next((row for row in rows if row.uniqueid == linkedid), None)
    if root is None:
        root = min(rows, key=lambda row: uniqueid_key(row.uniqueid))
    values = {
        "queue": "",
        "extension": "",
        "answer_time": False,
        "start_time": rows[0].start,
        "end_time": max(row.stop for row in rows),
    }
    root_ext = agent_extension(root.channel, options.get("extension_re") or EXTENSION_RE)
    if root_ext:
        _from_extension(rows, root, root_ext, options, values)
    else:
        _inbound(rows, root, options, values)
    values["monitoring"] = root.lastapp in MONITORING_APPS or is_monitoring_session(
        values["direction"], values["caller_number"], values["called_number"], values["extension"]
    )
    return values
