"""The ``rtl_tcp`` wire protocol, shared by the client and the loopback test server.

Used by :mod:`rfclassify.sources.rtltcp` (the client) and
:mod:`rfclassify.testing.rtl_tcp_server` (the server side); stdlib only.
The protocol is the one of ``rtl_tcp`` in the osmocom rtl-sdr tree
(``src/rtl_tcp.c``, git.osmocom.org/rtl-sdr; mirror github.com/steve-m/librtlsdr):

- after ``connect`` the server sends a 12-byte ``dongle_info_t``: ``b"RTL0"``,
  the tuner type and the number of tuner gains, each a big-endian ``uint32``
  (tuner numbers from ``enum rtlsdr_tuner`` in ``include/rtl-sdr.h``);
- the client sends 5-byte commands (``struct command``, packed: 1 byte
  command, big-endian ``uint32`` parameter, decoded with ``ntohl`` in
  ``command_worker``): 0x01 centre frequency (Hz), 0x02 sample rate (Hz), 0x03
  tuner gain mode (0 automatic, 1 manual), 0x04 tuner gain (tenths of a dB),
  0x05 frequency correction (ppm, a signed value sent as its two's
  complement), 0x08 RTL2832 AGC (0/1), 0x0e bias tee (0/1; newer rtl_tcp,
  older servers ignore unknown commands);
- the server streams interleaved unsigned 8-bit I/Q (``cu8``) without framing.
"""

from __future__ import annotations

import struct

HEADER_MAGIC = b"RTL0"
HEADER_BYTES = 12
COMMAND_BYTES = 5

CMD_SET_FREQUENCY = 0x01
CMD_SET_SAMPLE_RATE = 0x02
CMD_SET_GAIN_MODE = 0x03
CMD_SET_GAIN = 0x04
CMD_SET_FREQ_CORRECTION = 0x05
CMD_SET_AGC_MODE = 0x08
CMD_SET_BIAS_TEE = 0x0E

TUNER_NAMES = {
    0: "unknown",
    1: "E4000",
    2: "FC0012",
    3: "FC0013",
    4: "FC2580",
    5: "R820T",
    6: "R828D",
}


def command(cmd: int, param: int) -> bytes:
    """One 5-byte ``rtl_tcp`` command; negative parameters are sent as two's complement."""
    return struct.pack(">BI", cmd, int(param) & 0xFFFFFFFF)


def parse_command(data: bytes) -> tuple[int, int]:
    """``(command, unsigned parameter)`` of the 5-byte command at the start of ``data``."""
    cmd, param = struct.unpack(">BI", data[:COMMAND_BYTES])
    return cmd, param


def signed_param(param: int) -> int:
    """A command parameter read as two's complement (frequency correction, gain)."""
    return param - (1 << 32) if param & 0x80000000 else param


def dongle_info(tuner_type: int, gain_count: int) -> bytes:
    """The 12-byte header a server sends on accept: ``b"RTL0"``, tuner type, gain count."""
    return HEADER_MAGIC + struct.pack(">II", tuner_type, gain_count)


def parse_dongle_info(header: bytes) -> tuple[int, int]:
    """``(tuner_type, gain_count)`` of a 12-byte header (the caller checks the magic)."""
    tuner_type, gain_count = struct.unpack(">II", header[4:HEADER_BYTES])
    return tuner_type, gain_count
