"""``noise``: nothing but the receiver.

The label for a recording, or a stretch of one, that holds no emission: what
remains is the receiver's own thermal noise, its DC spike and IQ imbalance,
and quantization — all of which the synthesizer's receiver model adds. The
builder therefore emits no bursts: a scene built from this signature alone is
pure receiver noise, which is exactly what a classifier must learn to call
``noise`` rather than force into the nearest drone class.

There is no physical link to cite (``SIGNATURES.md``: bands "any",
modulation and bandwidth "—"). The band spans the tuning range an RTL-SDR
(24 MHz, R820T lower limit) and the wideband SDRs named in ``SIGNATURES.md``
(HackRF/USRP/BladeRF, up to 6 GHz) cover, so a receiver tuned anywhere can
observe it.
"""

from __future__ import annotations

from rfclassify.signatures.base import Band, Burst, EmitRequest, Signature

BAND_ANY = Band("any", 24e6, 6e9)


def _build(req: EmitRequest) -> list[Burst]:
    """No emission: the receiver model supplies the only signal."""
    return []


SIGNATURE = Signature(
    label="noise",
    drone=False,
    link="none",
    bands=(BAND_ANY,),
    modulation="none",
    bandwidth_hz=0.0,
    timing={},
    builder=_build,
    description="Nothing but the receiver: thermal noise, DC spike, IQ imbalance and quantization.",
    sources=("SIGNATURES.md (receiver models)",),
    order=12,
)
