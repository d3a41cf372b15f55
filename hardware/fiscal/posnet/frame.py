"""POSNET frames: ``[STX]command[TAB]param[TAB]…[TAB]#CRC16[ETX]``.

The checksum is CRC16-CCITT (poly 0x1021, init 0, no reflection — the
"XModem" variant, which is what the spec's two 256-byte tables compute) over
every byte between STX and the ``#``, i.e. the command, the parameters and their
TABs.  It is written as four upper-case hex digits.  Parameters are a two-letter
name followed by the value; a token ``@NNNN`` may stand anywhere and the
printer echoes it; an error reply carries ``?nnnn``.

Text goes in the printer's code page (the spec only says "the appropriate
encoding"; POSNET Thermal printers ship with Windows-1250), so frames are built
as bytes and the CRC is taken over the encoded bytes.
"""
from __future__ import annotations

import binascii
from dataclasses import dataclass, field

STX = 0x02
ETX = 0x03
TAB = "\t"
DEFAULT_ENCODING = "cp1250"


def crc16(data: bytes) -> int:
    return binascii.crc_hqx(data, 0)


class FrameError(ValueError):
    """A frame that cannot be trusted (bad checksum, broken structure)."""


@dataclass
class Frame:
    command: str
    params: list[tuple[str, str]] = field(default_factory=list)
    token: str | None = None
    error: int | None = None

    def get(self, name: str, default: str | None = None) -> str | None:
        for key, value in self.params:
            if key == name:
                return value
        return default

    def __contains__(self, name: str) -> bool:
        return any(key == name for key, _ in self.params)

    def as_dict(self) -> dict[str, str]:
        return dict(self.params)


def clean_text(text: str) -> str:
    """TAB and the frame bytes would break the frame: printers cannot show them anyway."""
    return "".join(" " if ch in "\t\x02\x03\r" else ch for ch in text)


def encode(frame: Frame, encoding: str = DEFAULT_ENCODING) -> bytes:
    body = frame.command + TAB
    if frame.token is not None:
        body += f"@{frame.token}{TAB}"
    if frame.command == "ERR" and frame.error is not None:
        # a frame error: "ERR[TAB][@token[TAB]]?n[TAB][cmCMD[TAB][fdFIELD[TAB]]]"
        body += f"?{frame.error}{TAB}"
    for name, value in frame.params:
        body += f"{name}{value}{TAB}"
    if frame.command != "ERR" and frame.error is not None:
        # a command error, written by the spec as "cmd[TAB]?nnnn#CRC16" (no TAB before #)
        body += f"?{frame.error}"
    raw = body.encode(encoding, errors="replace")
    return bytes([STX]) + raw + b"#" + f"{crc16(raw):04X}".encode("ascii") + bytes([ETX])


def decode(packet: bytes, encoding: str = DEFAULT_ENCODING) -> Frame:
    """``packet`` runs from STX to ETX inclusive."""
    if len(packet) < 7 or packet[0] != STX or packet[-1] != ETX:
        raise FrameError("not a POSNET frame")
    inner = packet[1:-1]
    hash_at = inner.rfind(b"#")
    if hash_at < 0:
        raise FrameError("frame without checksum")
    body, crc_text = inner[:hash_at], inner[hash_at + 1:]
    try:
        received = int(crc_text.decode("ascii"), 16)
    except ValueError as exc:
        raise FrameError(f"unreadable checksum {crc_text!r}") from exc
    if len(crc_text) != 4 or received != crc16(body):
        raise FrameError(f"checksum mismatch: got {crc_text!r}, computed {crc16(body):04X}")
    fields = body.decode(encoding, errors="replace").split(TAB)
    if not fields[0]:
        raise FrameError("frame without command")
    frame = Frame(fields[0])
    for item in fields[1:]:
        if not item:
            continue
        if item[0] == "@":
            frame.token = item[1:]
        elif item[0] == "?":
            if not item[1:].isdigit():
                raise FrameError(f"unreadable error number {item!r}")
            frame.error = int(item[1:])
        else:
            frame.params.append((item[:2], item[2:]))
    if frame.command == "ERR" and frame.error is None and (frame.get("er") or "").isdigit():
        frame.error = int(frame.get("er"))  # the spec's rpt example writes frame errors as "er13"
    return frame


class FrameReader:
    """Cuts a byte stream into STX…ETX packets, dropping noise between them."""

    def __init__(self):
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer.extend(data)
        packets = []
        while True:
            start = self._buffer.find(bytes([STX]))
            if start < 0:
                self._buffer.clear()
                return packets
            end = self._buffer.find(bytes([ETX]), start)
            if end < 0:
                del self._buffer[:start]
                return packets
            # a new STX before ETX means the earlier frame was cut off
            restart = self._buffer.rfind(bytes([STX]), start, end)
            packets.append(bytes(self._buffer[restart:end + 1]))
            del self._buffer[:end + 1]

    def clear(self) -> None:
        self._buffer.clear()


def amount(value: int) -> str:
    """Kwota: minor units without a separator (12,34 zł → 1234)."""
    return str(int(value))


def quantity(value: int, weighed: bool) -> str:
    """Num.: pieces as an integer, grams as kilograms with three decimals (352 g → 0.352)."""
    if not weighed:
        return str(int(value))
    return f"{value // 1000}.{value % 1000:03d}"


def parse_num(text: str) -> tuple[int, int]:
    """A Num. value as (integer scaled by 1000, 1000): "0,352" → (352, 1000)."""
    text = text.replace(",", ".")
    whole, _, frac = text.partition(".")
    if not whole and not frac:
        raise ValueError("empty number")
    if not (whole or "0").isdigit() or (frac and not frac.isdigit()) or len(frac) > 3:
        raise ValueError(f"not a Num. value: {text!r}")
    return int(whole or 0) * 1000 + int((frac + "000")[:3]), 1000


def parse_rate(text: str) -> int | None | str:
    """A VAT rate as the printer sends it ("23,00", 100,00 exempt, 101,00 inactive)
    → basis points, None for exempt, "inactive"."""
    text = text.replace(",", ".")
    whole, _, frac = text.partition(".")
    basis_points = int(whole) * 100 + int((frac + "00")[:2])
    if basis_points == 10000:
        return None
    if basis_points == 10100:
        return "inactive"
    return basis_points


def format_rate(rate: int | None | str) -> str:
    if rate == "inactive":
        return "101,00"
    if rate is None:
        return "100,00"
    return f"{rate // 100},{rate % 100:02d}"
