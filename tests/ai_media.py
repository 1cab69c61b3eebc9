"""Generated audio/video for the AI tests: espeak-ng speech with known text, synthetic sound events, small videos.

Everything is built once per test process (``functools.cache``) under one temporary directory, so the test modules
that share it pay once. Known truths sit beside each builder (``SENTENCES``, ``EVENT_TRUTH``).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from fractions import Fraction
from functools import cache
from pathlib import Path

import av
import numpy as np

SR = 16_000

SENTENCES = {
    "weather": "The weather forecast for tomorrow predicts heavy rain across the northern mountains. "
    "Farmers are preparing their fields before the storm arrives.",
    "bicycle": "Our new electric bicycle has a lightweight frame and a battery that lasts all day. "
    "Riders love the smooth acceleration in the city.",
    "visit": "Maria Lopez from Acme Corporation visited Paris last week to open a new office.",
}
"""What each speech fixture says (espeak-ng, default English voice)."""

DIALOGUE = [
    "The committee will meet again next Tuesday to discuss the budget.",
    "I think we should invest more money in public transport.",
    "That sounds reasonable, but the roads also need repairs.",
    "We could split the funds between both projects this year.",
    "Let us ask the engineers for a detailed estimate first.",
    "Good idea, I will send them an email this afternoon.",
]
"""Lines of the two-voice dialogue: even lines voice en+m3 (low male), odd lines en+f3 (female)."""

EVENT_TRUTH = {"music": (0.0, 5.0), "silence": (5.0, 8.0), "applause": (8.0, 12.0), "impact": (13.5, 13.75)}
"""Where each event is in ``event_mix`` (seconds)."""


@cache
def workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="vcat-ai-media-"))


def have_espeak() -> bool:
    return shutil.which("espeak-ng") is not None


def speak(text: str, voice: str = "en", speed: int = 150) -> np.ndarray:
    """espeak-ng speech as 16 kHz mono float32."""
    return _speak(text, voice, speed).copy()


@cache
def _speak(text: str, voice: str, speed: int) -> np.ndarray:
    from vcat_core.ai.audio import decode_audio

    out = workdir() / f"speech-{abs(hash((text, voice, speed)))}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(out), text], check=True, capture_output=True)
    return decode_audio(out).samples


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SR), np.float32)


@cache
def dialogue(two_voices: bool = True) -> np.ndarray:
    parts = []
    for i, line in enumerate(DIALOGUE):
        voice = "en+f3" if (two_voices and i % 2) else "en+m3"
        parts += [speak(line, voice), silence(0.5)]
    return np.concatenate(parts)


def chord_music(seconds: float, rng: np.random.Generator | None = None) -> np.ndarray:
    """Triads with harmonics, a new chord every 0.5 s (plucked envelope)."""
    t = np.arange(int(seconds * SR)) / SR
    out = np.zeros_like(t)
    roots = [261.63, 196.0, 220.0, 174.61]
    for i in range(int(seconds / 0.5)):
        r = roots[(i // 2) % 4]
        seg = slice(int(i * 0.5 * SR), int((i + 1) * 0.5 * SR))
        tt = t[seg] - i * 0.5
        env = np.exp(-3 * tt)
        for ratio in (1, 1.26, 1.5):
            for h in (1, 2, 3, 4):
                out[seg] += env * np.sin(2 * np.pi * r * ratio * h * tt) / h
    return (0.2 * out / np.abs(out).max()).astype(np.float32)


def applause(seconds: float, rng: np.random.Generator, rate: float = 30) -> np.ndarray:
    """Dense random noise bursts (claps): 80–300-sample decaying white-noise bursts, ``rate`` per second."""
    n = int(seconds * SR)
    out = np.zeros(n)
    for s in rng.integers(0, n - 400, int(seconds * rate)):
        length = int(rng.integers(80, 300))
        out[s : s + length] += rng.normal(0, 1, length) * np.exp(-np.arange(length) / (length / 4)) * rng.uniform(0.3, 1)
    out += rng.normal(0, 0.05, n)
    return (0.25 * out / np.abs(out).max()).astype(np.float32)


def impact(seconds: float, rng: np.random.Generator, at: float = 0.5) -> np.ndarray:
    """A quiet noise floor with one loud broadband bang (fast attack, 50 ms decay) at ``at`` s."""
    n = int(seconds * SR)
    out = rng.normal(0, 0.003, n)
    length = int(0.4 * SR)
    start = int(at * SR)
    out[start : start + length] += rng.normal(0, 1, length) * np.exp(-np.arange(length) / (0.05 * SR)) * 0.9
    return np.clip(out, -1, 1).astype(np.float32)


@cache
def event_mix() -> np.ndarray:
    """music 0–5 s · silence 5–8 s · applause 8–12 s · near-silence 12–13 s · impact at 13.5 s (15 s in all)."""
    rng = np.random.default_rng(0)
    return np.concatenate(
        [chord_music(5), silence(3), applause(4, rng), (rng.normal(0, 0.001, SR)).astype(np.float32), impact(2, rng)]
    )


def write_video(path: Path, audio: np.ndarray | None, seconds: float | None = None, *, rate: int = 48_000) -> Path:
    """A small MP4 (160x120 H.264, 10 fps) with ``audio`` (16 kHz mono float32, resampled to AAC ``rate``) or none."""
    if seconds is None:
        seconds = len(audio) / SR if audio is not None else 1.0
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=10)
        vs.width, vs.height, vs.pix_fmt = 160, 120, "yuv420p"
        vs.options = {"preset": "ultrafast"}
        ast = None
        if audio is not None:
            ast = out.add_stream("aac", rate=rate)
            ast.layout = "mono"
        n_frames = max(1, int(seconds * 10))
        for i in range(n_frames):
            img = np.full((120, 160, 3), (i * 7) % 255, np.uint8)
            img[40:80, (i * 3) % 120 : (i * 3) % 120 + 40] = 255
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, 10)
            for pkt in vs.encode(frame):
                out.mux(pkt)
        for pkt in vs.encode():
            out.mux(pkt)
        if ast is not None and audio is not None:
            resampler = av.AudioResampler(format="fltp", layout="mono", rate=rate)
            src = av.AudioFrame.from_ndarray(audio.reshape(1, -1).astype(np.float32), format="fltp", layout="mono")
            src.sample_rate = SR
            src.pts = 0
            for f in [*resampler.resample(src), *resampler.resample(None)]:
                f.pts = None
                for pkt in ast.encode(f):
                    out.mux(pkt)
            for pkt in ast.encode():
                out.mux(pkt)
    return path


@cache
def dialogue_video() -> Path:
    return write_video(workdir() / "dialogue.mp4", dialogue(True))


@cache
def silent_video() -> Path:
    return write_video(workdir() / "no_audio.mp4", None, seconds=1.0)


@cache
def speech_wav(name: str) -> Path:
    import wave

    p = workdir() / f"{name}.wav"
    pcm = (np.clip(speak(SENTENCES[name]), -1, 1) * 32767).astype("<i2")
    with wave.open(str(p), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.tobytes())
    return p


# ----------------------------------------------------------------------------------------------- network guard

_LOOPBACK = ("127.", "::1", "localhost", "0:0:0:0:0:0:0:1")


class NetworkBlocked(RuntimeError):
    pass


def block_network(monkeypatch) -> list[str]:
    """Make every non-loopback socket connect (and DNS lookup) raise; returns the list of refused targets."""
    import socket

    refused: list[str] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def allowed(sock, address) -> bool:
        if sock.family == getattr(socket, "AF_UNIX", None):
            return True
        host = str(address[0]) if isinstance(address, tuple) else str(address)
        return host.startswith(_LOOPBACK)

    def connect(sock, address):
        if not allowed(sock, address):
            refused.append(str(address))
            raise NetworkBlocked(f"network access blocked in this test: {address}")
        return real_connect(sock, address)

    def connect_ex(sock, address):
        if not allowed(sock, address):
            refused.append(str(address))
            raise NetworkBlocked(f"network access blocked in this test: {address}")
        return real_connect_ex(sock, address)

    def getaddrinfo(host, *args, **kwargs):
        if host is not None and not str(host).startswith(_LOOPBACK):
            refused.append(str(host))
            raise NetworkBlocked(f"DNS lookup blocked in this test: {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return refused


BLOCK_NETWORK_CODE = '''
import socket
_real = socket.socket.connect
def _guard(sock, address):
    host = str(address[0]) if isinstance(address, tuple) else str(address)
    if sock.family != getattr(socket, "AF_UNIX", None) and not host.startswith(("127.", "::1", "localhost")):
        raise RuntimeError("network access blocked: %r" % (address,))
    return _real(sock, address)
socket.socket.connect = _guard
socket.socket.connect_ex = _guard
_gai = socket.getaddrinfo
def _gai_guard(host, *a, **k):
    if host is not None and not str(host).startswith(("127.", "::1", "localhost")):
        raise RuntimeError("DNS lookup blocked: %r" % (host,))
    return _gai(host, *a, **k)
socket.getaddrinfo = _gai_guard
'''
"""Python source that installs the same guard in a fresh interpreter (for the subprocess test)."""
