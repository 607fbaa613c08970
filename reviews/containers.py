"""MP4 and WebM containers read far enough to trust them: the structure holds together from the
first byte to the last, and the declared duration is sane.

Small, bounded readers for untrusted files: each walks a fixed few levels (no recursion), counts
the boxes or elements it visits, reads only headers and a few small payloads (never the media
data), and checks every size against its parent's end before moving on, so nothing reads past
the end of the file. Anything that does not hold raises `InvalidVideo` with a reason for the user.

MP4 (ISO/IEC 14496-12): top-level boxes (32-bit sizes, 64-bit `largesize`, size 0 only for the
last box) that add up to the file's length; `ftyp` first with a video brand; one `moov` with an
`mvhd` (timescale and duration) and a `trak`; an `mdat`. A fragmented MP4 (`moov` holds `mvex`)
may leave `mvhd`'s duration at 0 and give it in `mehd`, or give none (a live recording).

WebM (Matroska's subset, on EBML): an EBML header with DocType "webm", then a Segment (size
known, or unknown as live recorders write it) holding Info and Tracks before the first Cluster.
Info's Duration (a float in TimestampScale ticks), when present, must be sane.
"""

import math
import struct
from dataclasses import dataclass

MAX_BOXES = 20_000  # top-level MP4 boxes (a fragmented file has two per fragment)
MAX_CHILDREN = 1_000  # boxes in moov, elements in an EBML header, Info or before a Cluster
MAX_HEADER_BYTES = 4096  # ftyp, an EBML header, Info: tiny in any real file

# ISO BMFF brands of video files (the major brand, or one of the compatible brands).
MP4_BRANDS = {
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9",
    b"mp41", b"mp42", b"avc1", b"hvc1", b"av01", b"dash", b"cmfc", b"cmf2", b"msnv",
    b"M4V ", b"M4VH", b"M4VP", b"mmp4", b"3gp4", b"3gp5", b"3gp6", b"3gp7", b"3g2a", b"f4v ",
}  # fmt: skip
# Brands that make the file something else: still images (HEIC, AVIF...), QuickTime.
NOT_MP4_BRANDS = {
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1",
    b"avif", b"avis", b"crx ", b"qt  ",
}  # fmt: skip

EBML_ID = 0x1A45DFA3
EBML_READ_VERSION, EBML_MAX_ID_LENGTH, EBML_MAX_SIZE_LENGTH, DOCTYPE = (
    0x42F7, 0x42F2, 0x42F3, 0x4282,
)  # fmt: skip
EBML_MAX_LENGTHS = {EBML_MAX_ID_LENGTH: 4, EBML_MAX_SIZE_LENGTH: 8}  # what we read, in bytes
SEGMENT_ID, INFO_ID, TRACKS_ID, CLUSTER_ID = 0x18538067, 0x1549A966, 0x1654AE6B, 0x1F43B675
TRACK_ENTRY_ID, TIMESTAMP_SCALE_ID, DURATION_ID = 0xAE, 0x2AD7B1, 0x4489


class InvalidVideo(ValueError):
    """The file is not a video we can trust; the message says why, for the user."""


@dataclass(frozen=True)
class Video:
    extension: str
    content_type: str
    seconds: float | None  # None: a live recording that declares no duration


class _Reader:
    """Reads at offsets of a file object, never past `size`."""

    def __init__(self, file, size: int):
        self.file = file
        self.size = size

    def read(self, offset: int, length: int, what: str) -> bytes:
        if offset < 0 or length < 0 or offset + length > self.size:
            raise InvalidVideo(f"The file ends inside {what} (it is truncated).")
        self.file.seek(offset)
        data = self.file.read(length)
        if len(data) != length:
            raise InvalidVideo(f"The file ends inside {what} (it is truncated).")
        return data


def _check_seconds(seconds: float, max_seconds: int) -> float:
    if not math.isfinite(seconds) or seconds <= 0:
        raise InvalidVideo("The video declares no length (its duration is 0 or not a number).")
    if seconds > max_seconds:
        raise InvalidVideo(f"The video is {seconds:.0f} s long; the limit is {max_seconds} s.")
    return seconds


# --- MP4 ------------------------------------------------------------------------------------


def _box_name(kind: bytes) -> str:
    return kind.decode("latin-1")


def _boxes(reader: _Reader, start: int, end: int, *, limit: int, top: bool):
    """(type, payload start, end) of each box from `start` to `end`, which they must fill."""
    offset, count = start, 0
    while offset < end:
        count += 1
        if count > limit:
            raise InvalidVideo("The MP4 file has too many boxes.")
        if end - offset < 8:
            raise InvalidVideo("The MP4 file has stray bytes after its last box.")
        size, kind = struct.unpack(">I4s", reader.read(offset, 8, "a box header"))
        if not all(32 <= byte < 127 or byte == 0xA9 for byte in kind):
            raise InvalidVideo("The MP4 file has a box of no known kind (its bytes are damaged).")
        header = 8
        if size == 1:  # a 64-bit size follows the type
            (size,) = struct.unpack(">Q", reader.read(offset + 8, 8, "a box header"))
            header = 16
        elif size == 0:  # "up to the end of the file": only the last top-level box may say it
            if not top:
                raise InvalidVideo(f"The MP4 file's {_box_name(kind)} box has no size.")
            size = end - offset
        if size < header:
            raise InvalidVideo(f"The MP4 file's {_box_name(kind)} box is smaller than its header.")
        if size > end - offset:
            raise InvalidVideo(
                f"The MP4 file's {_box_name(kind)} box runs past the end of "
                + ("the file (it is truncated)." if top else "the box that holds it.")
            )
        yield kind, offset + header, offset + size
        offset += size


def _brands(reader: _Reader, start: int, end: int) -> tuple[bytes, list[bytes]]:
    if not 8 <= end - start <= MAX_HEADER_BYTES or (end - start) % 4:
        raise InvalidVideo("The MP4 file's ftyp box is malformed.")
    data = reader.read(start, end - start, "the ftyp box")
    return data[:4], [data[i : i + 4] for i in range(8, len(data), 4)]


def _full_box(reader: _Reader, start: int, end: int, v0: str, v1: str, what: str) -> tuple:
    """The fields of a version 0 or 1 full box (version and flags, then `v0` or `v1`)."""
    version = reader.read(start, 1, what)[0]
    if version not in (0, 1):
        raise InvalidVideo(f"The MP4 file's {what} has an unknown version.")
    layout = ">4x" + (v0 if version == 0 else v1)
    length = struct.calcsize(layout)
    if end - start < length:
        raise InvalidVideo(f"The MP4 file's {what} is too short.")
    return version, struct.unpack(layout, reader.read(start, length, what))


def _mp4_seconds(reader: _Reader, start: int, end: int) -> float | None:
    """The duration `moov` declares (None: a fragmented file that declares none)."""
    timescale = duration = fragment_duration = None
    tracks = 0
    fragmented = False
    for kind, child_start, child_end in _boxes(reader, start, end, limit=MAX_CHILDREN, top=False):
        if kind == b"mvhd":
            if timescale is not None:
                raise InvalidVideo("The MP4 file has two movie headers (mvhd).")
            version, (timescale, duration) = _full_box(
                reader, child_start, child_end, "8xII", "16xIQ", "movie header (mvhd)"
            )
            if duration == (0xFFFFFFFF if version == 0 else 0xFFFFFFFFFFFFFFFF):
                duration = 0  # "unknown"
        elif kind == b"trak":
            tracks += 1
        elif kind == b"mvex":
            fragmented = True
            for sub, sub_start, sub_end in _boxes(
                reader, child_start, child_end, limit=MAX_CHILDREN, top=False
            ):
                if sub == b"mehd":
                    _, (fragment_duration,) = _full_box(
                        reader, sub_start, sub_end, "I", "Q", "fragment duration (mehd)"
                    )
    if timescale is None:
        raise InvalidVideo("The MP4 file has no movie header (mvhd).")
    if tracks == 0:
        raise InvalidVideo("The MP4 file has no track.")
    if timescale == 0:
        raise InvalidVideo("The MP4 file's movie header has a timescale of 0.")
    if duration == 0 and fragmented:
        if not fragment_duration:
            return None
        duration = fragment_duration
    return duration / timescale


def mp4_check(file, size: int, *, max_seconds: int) -> Video:
    reader = _Reader(file, size)
    boxes = _boxes(reader, 0, size, limit=MAX_BOXES, top=True)
    kind, start, end = next(boxes, (None, 0, 0))
    if kind != b"ftyp":
        raise InvalidVideo("An MP4 file starts with an ftyp box.")
    major, compatible = _brands(reader, start, end)
    if major in NOT_MP4_BRANDS or not ({major, *compatible} & MP4_BRANDS):
        raise InvalidVideo(f"The file is not an MP4 video (its brand is {major!r}).")
    seconds = "missing"
    has_media_data = False
    for kind, start, end in boxes:
        if kind == b"moov":
            if seconds != "missing":
                raise InvalidVideo("The MP4 file has two movie boxes (moov).")
            seconds = _mp4_seconds(reader, start, end)
        elif kind == b"mdat":
            has_media_data = True
        elif kind == b"ftyp":
            raise InvalidVideo("The MP4 file has two ftyp boxes.")
    if seconds == "missing":
        raise InvalidVideo("The MP4 file has no movie box (moov).")
    if not has_media_data:
        raise InvalidVideo("The MP4 file has no media data (mdat).")
    if seconds is not None:
        seconds = _check_seconds(seconds, max_seconds)
    return Video("mp4", "video/mp4", seconds)


# --- WebM -----------------------------------------------------------------------------------


def _vint(reader: _Reader, offset: int, *, is_id: bool) -> tuple[int | None, int]:
    """An EBML variable-length integer at `offset`: (value, length). An id keeps its marker
    bits and is at most 4 bytes; a size of all ones is "unknown" (None)."""
    first = reader.read(offset, 1, "an element header")[0]
    if first == 0:
        raise InvalidVideo("The WebM file has a malformed element header.")
    length = 9 - first.bit_length()
    if is_id and length > 4:
        raise InvalidVideo("The WebM file has a malformed element id.")
    value = int.from_bytes(reader.read(offset, length, "an element header"), "big")
    if is_id:
        return value, length
    value &= (1 << (7 * length)) - 1
    return (None if value == (1 << (7 * length)) - 1 else value), length


def _elements(reader: _Reader, start: int, end: int, *, limit: int, unknown_size=()):
    """(id, data start, data end) of each element from `start` to `end`. Only the ids in
    `unknown_size` may leave their size unknown (they then run to `end`)."""
    offset, count = start, 0
    while offset < end:
        count += 1
        if count > limit:
            raise InvalidVideo("The WebM file has too many elements.")
        element_id, id_length = _vint(reader, offset, is_id=True)
        size, size_length = _vint(reader, offset + id_length, is_id=False)
        data_start = offset + id_length + size_length
        if size is None:
            if element_id not in unknown_size:
                raise InvalidVideo("The WebM file has an element of unknown size.")
            size = end - data_start
        if data_start + size > end:
            raise InvalidVideo("The WebM file has an element that runs past its end (truncated).")
        yield element_id, data_start, data_start + size
        offset = data_start + size


def _uint(data: bytes) -> int:
    if len(data) > 8:
        raise InvalidVideo("The WebM file has a malformed number.")
    return int.from_bytes(data, "big")


def _ebml_header(reader: _Reader, start: int, end: int) -> None:
    if end - start > MAX_HEADER_BYTES:
        raise InvalidVideo("The WebM file's EBML header is too large.")
    doctype = None
    for element_id, data_start, data_end in _elements(reader, start, end, limit=MAX_CHILDREN):
        data = reader.read(data_start, data_end - data_start, "the EBML header")
        if element_id == DOCTYPE:
            doctype = data.rstrip(b"\x00")
        elif element_id == EBML_READ_VERSION and _uint(data) != 1:
            raise InvalidVideo("The WebM file needs a newer EBML reader.")
        elif element_id in EBML_MAX_LENGTHS and _uint(data) > EBML_MAX_LENGTHS[element_id]:
            raise InvalidVideo("The WebM file's EBML header is malformed.")
    if doctype != b"webm":
        shown = "none" if doctype is None else repr(doctype.decode("latin-1"))
        raise InvalidVideo(f'The file is not a WebM video (its DocType is {shown}, not "webm").')


def _webm_seconds(reader: _Reader, start: int, end: int) -> float | None:
    if end - start > MAX_HEADER_BYTES:
        raise InvalidVideo("The WebM file's Info element is too large.")
    scale, duration = 1_000_000, None  # TimestampScale: nanoseconds per tick
    for element_id, data_start, data_end in _elements(reader, start, end, limit=MAX_CHILDREN):
        data = reader.read(data_start, data_end - data_start, "the Info element")
        if element_id == TIMESTAMP_SCALE_ID:
            scale = _uint(data)
            if scale == 0:
                raise InvalidVideo("The WebM file's TimestampScale is 0.")
        elif element_id == DURATION_ID:
            if len(data) not in (4, 8):
                raise InvalidVideo("The WebM file's Duration is malformed.")
            (duration,) = struct.unpack(">f" if len(data) == 4 else ">d", data)
    return None if duration is None else duration * scale / 1e9


def webm_check(file, size: int, *, max_seconds: int) -> Video:
    reader = _Reader(file, size)
    top = _elements(reader, 0, size, limit=2, unknown_size={SEGMENT_ID})
    element_id, start, end = next(top, (None, 0, 0))
    if element_id != EBML_ID:
        raise InvalidVideo("A WebM file starts with an EBML header.")
    _ebml_header(reader, start, end)
    element_id, start, end = next(top, (None, 0, 0))
    if element_id != SEGMENT_ID:
        raise InvalidVideo("The WebM file has no Segment after its EBML header.")
    if end != size:
        raise InvalidVideo("The WebM file has stray bytes after its Segment.")
    seconds = "missing"
    has_tracks = False
    children = _elements(reader, start, end, limit=MAX_CHILDREN, unknown_size={CLUSTER_ID})
    for element_id, data_start, data_end in children:
        if element_id == INFO_ID:
            if seconds != "missing":
                raise InvalidVideo("The WebM file has two Info elements.")
            seconds = _webm_seconds(reader, data_start, data_end)
        elif element_id == TRACKS_ID:
            entries = _elements(reader, data_start, data_end, limit=MAX_CHILDREN)
            has_tracks = has_tracks or any(child == TRACK_ENTRY_ID for child, _, _ in entries)
        elif element_id == CLUSTER_ID:
            break  # the media; what a player needs first has been seen (or not)
    else:
        raise InvalidVideo("The WebM file has no media (no Cluster).")
    if seconds == "missing":
        raise InvalidVideo("The WebM file has no Info element before its media.")
    if not has_tracks:
        raise InvalidVideo("The WebM file has no track before its media.")
    if seconds is not None:
        seconds = _check_seconds(seconds, max_seconds)
    return Video("webm", "video/webm", seconds)
