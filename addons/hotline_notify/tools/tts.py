"""Text to speech for the PBX: text → an 8 kHz mono 16-bit PCM WAV, the format Asterisk's format_wav plays.

The engine is a command reading the text on its standard input and writing a WAV file to ``{output}``
(espeak-ng's Mandarin voice by default). Whatever its rate, width and channels, its output is mixed down to
mono and resampled to 8000 Hz here, in pure Python (a windowed-sinc low-pass, polyphase), so that no heavy
dependency is needed. The text never goes on a command line and the command never goes through a shell.
"""

import logging
import math
import operator
import os
import re
import shlex
import subprocess
import sys
import tempfile
import wave
from array import array

from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)

RATE = 8000
DEFAULT_COMMAND = "espeak-ng -v cmn -s 150 -w {output}"
NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$")
TIMEOUT = 120
# a notice is heard on the phone: about 1000 characters are already several minutes of speech
MAX_TEXT = 1000
# low-pass of the resampler: cut-off (fraction of the lower Nyquist frequency), zero crossings each side,
# Kaiser window beta (about 80 dB of stop-band attenuation)
CUTOFF = 0.88
ZERO_CROSSINGS = 16
KAISER_BETA = 8.0
# the low-pass rings above full-scale sounds: peaks are brought down to about -1 dBFS rather than clipped
PEAK = 29000.0


# ------------------------------------------------------------
# public API
# ------------------------------------------------------------


def render(env, text, directory, name, command=None, timeout=TIMEOUT):
    """Speak ``text`` into ``<directory>/<name>.wav`` (8 kHz mono 16-bit) and return that file's path.

    ``env``: an Odoo environment, for the language of the messages.
    ``command``: the engine's command line with ``{output}`` (default: espeak-ng Mandarin).
    Raises a UserError that says what went wrong; on error nothing is written to ``directory``.
    """
    text = (text or "").strip()
    if not text:
        raise UserError(env._("There is no text to speak."))
    if len(text) > MAX_TEXT:
        raise UserError(env._("The text is too long to be spoken (at most %(limit)s characters).", limit=MAX_TEXT))
    if not NAME_RE.match(name or ""):
        raise UserError(env._("%(name)s is not a valid sound name (letters, digits, _ and - only).", name=name))
    with tempfile.TemporaryDirectory(prefix="hotline-tts-") as workdir:
        raw_path = os.path.join(workdir, "speech.wav")
        _run_engine(env, command or DEFAULT_COMMAND, text, raw_path, timeout)
        samples, rate = _read_mono(env, raw_path)
    samples = _limit(resample(samples, rate, RATE))
    return _write_atomically(env, samples, directory, name)


def command_args(env, command, output):
    """The engine's argument list, ``{output}`` replaced by ``output``; never through a shell."""
    try:
        args = shlex.split(command or "")
    except ValueError as exc:
        raise UserError(env._("The text-to-speech command cannot be read: %(error)s", error=exc)) from None
    if not args:
        raise UserError(env._("The text-to-speech command is empty."))
    if not any("{output}" in arg for arg in args):
        raise UserError(env._("The text-to-speech command must contain {output}, where it writes the WAV file."))
    return [arg.replace("{output}", output) for arg in args]


# ------------------------------------------------------------
# the engine
# ------------------------------------------------------------


def _run_engine(env, command, text, output, timeout):
    args = command_args(env, command, output)
    try:
        result = subprocess.run(  # noqa: S603 - an argument list, no shell; the text goes on stdin
            args,
            input=text.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise UserError(
            env._("The text-to-speech engine %(engine)s is not installed on the server.", engine=args[0])
        ) from None
    except PermissionError:
        raise UserError(
            env._("The text-to-speech engine %(engine)s cannot be run (permission denied).", engine=args[0])
        ) from None
    except subprocess.TimeoutExpired:
        raise UserError(
            env._(
                "The text-to-speech engine %(engine)s did not finish within %(seconds)s seconds.",
                engine=args[0],
                seconds=timeout,
            )
        ) from None
    if result.returncode != 0:
        raise UserError(
            env._(
                "The text-to-speech engine %(engine)s failed (exit code %(code)s): %(error)s",
                engine=args[0],
                code=result.returncode,
                error=_summary(result.stderr) or env._("no error message"),
            )
        )
    if not os.path.isfile(output) or not os.path.getsize(output):
        raise UserError(
            env._(
                "The text-to-speech engine %(engine)s wrote no sound file. %(error)s",
                engine=args[0],
                error=_summary(result.stderr),
            )
        )


def _summary(stderr, limit=300):
    """The engine's error output, short enough for a message: its last lines, one line."""
    message = " ".join((stderr or b"").decode("utf-8", "replace").split())
    return message[-limit:]


# ------------------------------------------------------------
# WAV in and out
# ------------------------------------------------------------


def _read_mono(env, path):
    """``(samples, rate)``: the WAV's PCM samples mixed down to one channel, as floats in 16-bit scale."""
    try:
        with wave.open(path, "rb") as reader:
            channels, width, rate = reader.getnchannels(), reader.getsampwidth(), reader.getframerate()
            frames = reader.readframes(reader.getnframes())
    except (wave.Error, EOFError) as exc:
        raise UserError(env._("The text-to-speech engine did not write a PCM WAV file: %(error)s", error=exc)) from None
    if width not in (1, 2, 3, 4) or not rate or not channels:
        raise UserError(env._("The text-to-speech engine wrote an unsupported WAV format."))
    samples = _decode(frames, width)
    if channels > 1:
        samples = [sum(samples[i : i + channels]) / channels for i in range(0, len(samples) - channels + 1, channels)]
    if not samples:
        raise UserError(env._("The text-to-speech engine wrote an empty sound."))
    return samples, rate


def _decode(frames, width):
    """Little-endian PCM bytes → floats scaled to the 16-bit range."""
    if width == 1:  # unsigned 8-bit
        return [(value - 128) * 256.0 for value in frames]
    if width == 2:
        data = array("h")
        data.frombytes(frames[: len(frames) // 2 * 2])
        if sys.byteorder == "big":
            data.byteswap()
        return [float(value) for value in data]
    scale = 2.0 ** (8 * width - 16)
    return [
        int.from_bytes(frames[i : i + width], "little", signed=True) / scale
        for i in range(0, len(frames) - width + 1, width)
    ]


def _limit(samples):
    """The samples scaled down when their peak is above ``PEAK``."""
    peak = max(map(abs, samples), default=0.0)
    if peak <= PEAK:
        return samples
    scale = PEAK / peak
    return [value * scale for value in samples]


def _write_atomically(env, samples, directory, name):
    """Write 16-bit samples at 8 kHz to ``<directory>/<name>.wav`` through a temporary file and a rename."""
    try:
        os.makedirs(directory, exist_ok=True)
        handle, tmp_path = tempfile.mkstemp(prefix=f".{name}-", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise UserError(
            env._("The sound folder %(folder)s cannot be written: %(error)s", folder=directory, error=exc.strerror)
        ) from None
    path = os.path.join(directory, f"{name}.wav")
    data = array("h", (max(-32768, min(32767, round(value))) for value in samples))
    if sys.byteorder == "big":
        data.byteswap()
    try:
        with os.fdopen(handle, "wb") as raw, wave.open(raw, "wb") as writer:
            writer.setnchannels(1)
            writer.setsampwidth(2)
            writer.setframerate(RATE)
            writer.writeframes(data.tobytes())
        # Asterisk runs as another user: the file must be readable by it
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, path)
    except OSError as exc:
        if os.path.exists(tmp_path):
            os.unlink(tmp_path)
        raise UserError(
            env._("The sound file %(path)s cannot be written: %(error)s", path=path, error=exc.strerror)
        ) from None
    return path


# ------------------------------------------------------------
# resampling
# ------------------------------------------------------------


def resample(samples, rate_in, rate_out):
    """Band-limited resampling of ``samples`` from ``rate_in`` to ``rate_out`` Hz (polyphase windowed sinc).

    The low-pass cuts at ``CUTOFF`` × the lower of the two Nyquist frequencies (about 3.5 kHz for 8 kHz
    output) so that nothing above 4 kHz folds back into the telephone band.
    """
    if rate_in == rate_out:
        return list(samples)
    divisor = math.gcd(rate_in, rate_out)
    up, down = rate_out // divisor, rate_in // divisor
    # cut-off in cycles per input sample, and the kernel's half-width in input samples
    cutoff = CUTOFF * 0.5 * min(1.0, rate_out / rate_in)
    half = int(math.ceil(ZERO_CROSSINGS / (2 * cutoff)))
    padded = [0.0] * half + list(samples) + [0.0] * (half + 1)
    count = len(samples) * up // down
    phases = {}
    out = []
    for n in range(count):
        position = n * down
        start, phase = divmod(position, up)
        taps = phases.get(phase)
        if taps is None:
            taps = phases[phase] = _kernel(phase / up, half, cutoff)
        out.append(sum(map(operator.mul, taps, padded[start + 1 : start + 1 + 2 * half])))
    return out


def _kernel(fraction, half, cutoff):
    """Taps for input samples ``start - half + 1 .. start + half`` of an output at ``start + fraction``."""
    norm = _bessel_i0(KAISER_BETA)
    taps = []
    for k in range(-half + 1, half + 1):
        t = k - fraction
        x = 2 * cutoff * t
        sinc = 1.0 if x == 0 else math.sin(math.pi * x) / (math.pi * x)
        ratio = t / half
        window = _bessel_i0(KAISER_BETA * math.sqrt(1 - ratio * ratio)) / norm if abs(ratio) < 1 else 0.0
        taps.append(sinc * window)
    total = sum(taps)
    return [tap / total for tap in taps]


def _bessel_i0(x):
    """Modified Bessel function of the first kind, order 0 (power series)."""
    total, term, k = 1.0, 1.0, 0
    while term > 1e-12 * total:
        k += 1
        term *= (x / (2 * k)) ** 2
        total += term
    return total
