"""Tiny MP4 and WebM files assembled by hand, box by box and element by element, so tests can
build valid videos and break them one field at a time (no encoder needed)."""

import struct

# --- MP4 (ISO BMFF) -------------------------------------------------------------------------


def box(kind: bytes, payload: bytes = b"", *, size: int | None = None, large=False) -> bytes:
    """A box: 32-bit size and type, or with `large` size 1 and a 64-bit size after the type.
    `size` overrides the size written (to lie about it)."""
    if large:
        total = 16 + len(payload) if size is None else size
        return struct.pack(">I4sQ", 1, kind, total) + payload
    total = 8 + len(payload) if size is None else size
    return struct.pack(">I4s", total, kind) + payload


def ftyp(major=b"isom", compatible=(b"isom", b"iso2", b"avc1", b"mp41")) -> bytes:
    return box(b"ftyp", major + struct.pack(">I", 0x200) + b"".join(compatible))


UNITY_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def mvhd(*, timescale=1000, duration=3000, version=0) -> bytes:
    """The movie header: `duration` in units of `timescale` per second (3 s by default)."""
    if version == 0:
        times = struct.pack(">IIII", 0, 0, timescale, duration)
    else:
        times = struct.pack(">QQIQ", 0, 0, timescale, duration)
    rest = struct.pack(">IH", 0x10000, 0x100) + bytes(10) + UNITY_MATRIX + bytes(24)
    return box(b"mvhd", bytes([version, 0, 0, 0]) + times + rest + struct.pack(">I", 2))


def trak() -> bytes:
    tkhd = box(b"tkhd", bytes([0, 0, 0, 3]) + bytes(80))
    return box(b"trak", tkhd)


def moov(*children: bytes) -> bytes:
    return box(b"moov", b"".join(children or (mvhd(), trak())))


def mdat(length=2000, **kwargs) -> bytes:
    return box(b"mdat", bytes(length), **kwargs)


def mp4(**mvhd_fields) -> bytes:
    """ftyp, moov (mvhd and one track) and 2,000 bytes of media data: 3 s by default."""
    return ftyp() + moov(mvhd(**mvhd_fields), trak()) + mdat()


# --- WebM (EBML / Matroska) -----------------------------------------------------------------

EBML, DOCTYPE, SEGMENT, INFO, TRACKS, CLUSTER = (
    0x1A45DFA3, 0x4282, 0x18538067, 0x1549A966, 0x1654AE6B, 0x1F43B675,
)  # fmt: skip
TIMESTAMP_SCALE, DURATION = 0x2AD7B1, 0x4489
UNKNOWN_SIZE = b"\x01\xff\xff\xff\xff\xff\xff\xff"


def vint(value: int) -> bytes:
    """An EBML size: the shortest variable-length integer that holds `value`."""
    for length in range(1, 9):
        if value < (1 << (7 * length)) - 1:
            return ((1 << (7 * length)) | value).to_bytes(length, "big")
    raise ValueError(value)


def element(element_id: int, payload: bytes = b"", *, size: bytes | None = None) -> bytes:
    id_bytes = element_id.to_bytes((element_id.bit_length() + 7) // 8, "big")
    return id_bytes + (vint(len(payload)) if size is None else size) + payload


def uint(element_id: int, value: int) -> bytes:
    return element(element_id, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def text(element_id: int, value: str) -> bytes:
    return element(element_id, value.encode())


def ebml_header(doctype="webm") -> bytes:
    children = [uint(0x4286, 1), uint(0x42F7, 1), uint(0x42F2, 4), uint(0x42F3, 8)]
    if doctype is not None:
        children.append(text(DOCTYPE, doctype))
    return element(EBML, b"".join(children + [uint(0x4287, 4), uint(0x4285, 2)]))


def info(duration_ms: float | None = 3000.0, *, scale=1_000_000, float_size=8) -> bytes:
    """Segment information; the duration is in ticks of `scale` ns (milliseconds by default)."""
    children = uint(TIMESTAMP_SCALE, scale)
    if duration_ms is not None:
        children += element(DURATION, struct.pack(">d" if float_size == 8 else ">f", duration_ms))
    return element(INFO, children + text(0x4D80, "hand") + text(0x5741, "hand"))


def tracks() -> bytes:
    """One VP8 video track, 16×16."""
    video = element(0xE0, uint(0xB0, 16) + uint(0xBA, 16))
    entry = uint(0xD7, 1) + uint(0x73C5, 1) + uint(0x83, 1) + text(0x86, "V_VP8") + video
    return element(TRACKS, element(0xAE, entry))


def cluster(length=2000) -> bytes:
    block = element(0xA3, b"\x81\x00\x00\x80" + bytes(length))
    return element(CLUSTER, uint(0xE7, 0) + block)


def segment(*children: bytes, size: bytes | None = None) -> bytes:
    return element(SEGMENT, b"".join(children or (info(), tracks(), cluster())), size=size)


def webm(duration_ms: float | None = 3000.0, **info_fields) -> bytes:
    """EBML header, then a Segment with Info, Tracks and one Cluster: 3 s by default."""
    return ebml_header() + segment(info(duration_ms, **info_fields), tracks(), cluster())
