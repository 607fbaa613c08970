"""Videos posted with a review are parsed, not just sniffed: the MP4 box structure or the WebM
EBML structure must hold from the first byte to the last, and the declared duration must be
sane. Files are assembled by hand in tests/reviews/videos.py; every hostile one is a 415 with a
message that says what is wrong, and changes nothing."""

import struct

import pytest

from reviews.models import Review, ReviewMedia
from tests import factories
from tests.helpers import assert_error
from tests.reviews import videos as v
from tests.reviews.test_api import a_file, post_files, stored_bytes

pytestmark = pytest.mark.django_db

TEN_HOURS_MS = 10 * 3600 * 1000


@pytest.fixture
def espresso(store):
    return factories.ProductFactory(store=store, name="Espresso")


def post_video(shopper, espresso, data: bytes, name="clip.mp4"):
    return post_files(shopper, espresso.public_id, [a_file(data, name, "video/mp4")])


# --- Valid files are accepted as sent -------------------------------------------------------

MEHD_4S = v.box(b"mvex", v.box(b"mehd", struct.pack(">II", 0, 4000)))
LIVE_CLUSTER = v.element(v.CLUSTER, v.cluster()[4 + 2 :], size=v.UNKNOWN_SIZE)
CUES, VOID = v.element(0x1C53BB6B), v.element(0xEC, bytes(20))
MOOF = v.box(b"moof", v.box(b"mfhd", bytes(8)))
VALID = {
    "mp4, moov before mdat": v.mp4(),
    "mp4, moov after mdat (not fast-start)": v.ftyp() + v.mdat() + v.moov(),
    "mp4, mvhd version 1 and a 64-bit mdat size": (
        v.ftyp()
        + v.moov(v.mvhd(version=1, timescale=90000, duration=90000 * 60), v.trak())
        + v.mdat(large=True)
    ),
    "mp4, last box sized 0 (to the end of the file)": v.ftyp() + v.moov() + v.mdat(size=0),
    "mp4, brand mp42 with free space": (
        v.ftyp(b"mp42", (b"mp42", b"isom")) + v.box(b"free", bytes(16)) + v.moov() + v.mdat()
    ),
    "mp4, fragmented with its duration in mehd": (
        v.ftyp(b"iso5", (b"iso5", b"dash"))
        + v.moov(v.mvhd(duration=0), v.trak(), MEHD_4S)
        + MOOF
        + v.mdat()
    ),
    "mp4, fragmented live recording without a duration": (
        v.ftyp(b"iso5", (b"iso5",))
        + v.moov(v.mvhd(duration=0), v.trak(), v.box(b"mvex", v.box(b"trex", bytes(24))))
        + MOOF
        + v.mdat()
    ),
    "webm": v.webm(),
    "webm, 32-bit float duration in microsecond ticks": v.webm(
        3_000_000.0, scale=1000, float_size=4
    ),
    "webm, live recording: unknown sizes, no duration": (
        v.ebml_header() + v.segment(v.info(None), v.tracks(), LIVE_CLUSTER, size=v.UNKNOWN_SIZE)
    ),
    "webm, cues and void before the first cluster": (
        v.ebml_header() + v.segment(v.info(), VOID, v.tracks(), CUES, v.cluster())
    ),
}


@pytest.mark.parametrize("data", VALID.values(), ids=VALID.keys())
def test_a_valid_video_is_accepted_as_sent(shopper, espresso, data):
    response = post_video(shopper, espresso, data)

    assert response.status_code == 201, response.content
    (item,) = response.json()["media"]
    assert item["type"] == "video"
    assert stored_bytes(response.json()["id"]) == [data]


def test_the_stored_type_follows_the_container_not_the_name(shopper, espresso):
    response = post_files(
        shopper,
        espresso.public_id,
        [a_file(v.webm(), "clip.mp4", "video/mp4"), a_file(v.mp4(), "clip.webm", "video/webm")],
    )

    assert response.status_code == 201, response.content
    webm, mp4 = ReviewMedia.objects.order_by("position")
    assert (webm.content_type, mp4.content_type) == ("video/webm", "video/mp4")
    assert webm.file.name.endswith(".webm") and mp4.file.name.endswith(".mp4")


# --- Hostile files are 415 ------------------------------------------------------------------

MOOV = v.moov()
HOSTILE = {
    "mp4 truncated in its media data": (v.mp4()[:-500], "truncated"),
    "mp4 truncated in a box header": (v.ftyp() + v.moov() + v.mdat()[:5], "stray bytes"),
    "mp4 moov sized past the end": (
        v.ftyp() + v.box(b"moov", MOOV[8:], size=len(MOOV) + 10_000) + v.mdat(),
        "past the end",
    ),
    "mp4 64-bit size past the end": (
        v.ftyp() + v.moov() + v.mdat(large=True, size=2**63),
        "past the end",
    ),
    "mp4 64-bit size smaller than its header": (
        v.ftyp() + v.moov() + v.box(b"free", large=True, size=8) + v.mdat(),
        "smaller than its header",
    ),
    "mp4 box of size 4": (v.ftyp() + v.box(b"free", size=4) + v.moov() + v.mdat(), "smaller"),
    "mp4 zero-size box that swallows the moov": (
        v.ftyp() + v.box(b"free", size=0) + v.moov() + v.mdat(),
        "no movie box",
    ),
    "mp4 zero-size box inside moov": (
        v.ftyp() + v.moov(v.mvhd(), v.box(b"udta", size=0), v.trak()) + v.mdat(),
        "has no size",
    ),
    "mp4 child box past the end of moov": (
        v.ftyp() + v.moov(v.mvhd(), v.box(b"trak", size=5000)) + v.mdat(),
        "past the end of the box",
    ),
    "mp4 without moov": (v.ftyp() + v.mdat(), "no movie box"),
    "mp4 with two moov": (v.ftyp() + v.moov() + v.moov() + v.mdat(), "two movie boxes"),
    "mp4 without mvhd": (v.ftyp() + v.moov(v.trak()) + v.mdat(), "no movie header"),
    "mp4 without a track": (v.ftyp() + v.moov(v.mvhd()) + v.mdat(), "no track"),
    "mp4 without mdat": (v.ftyp() + v.moov(), "no media data"),
    "mp4 mvhd cut short": (
        v.ftyp() + v.moov(v.box(b"mvhd", bytes(12)), v.trak()) + v.mdat(),
        "too short",
    ),
    "mp4 mvhd version 7": (
        v.ftyp() + v.moov(v.box(b"mvhd", b"\x07" + v.mvhd()[9:]), v.trak()) + v.mdat(),
        "unknown version",
    ),
    "mp4 duration 0": (v.mp4(duration=0), "no length"),
    "mp4 duration unknown (all ones)": (v.mp4(duration=0xFFFFFFFF), "no length"),
    "mp4 timescale 0": (v.mp4(timescale=0), "timescale of 0"),
    "mp4 of 10 hours": (v.mp4(duration=10 * 3600 * 1000), "36000 s long; the limit is 120 s"),
    "mp4 of 10 hours in a 64-bit mvhd": (
        v.mp4(version=1, duration=10 * 3600 * 1000),
        "the limit is 120 s",
    ),
    "mp4 fragmented, 10 hours in mehd": (
        v.ftyp()
        + v.moov(
            v.mvhd(duration=0),
            v.trak(),
            v.box(b"mvex", v.box(b"mehd", struct.pack(">II", 0, TEN_HOURS_MS))),
        )
        + v.mdat(),
        "the limit is 120 s",
    ),  # fmt: skip
    "mp4 ftyp not first": (v.box(b"free", b"....ftypisom") + v.mp4(), "MP4 or WebM videos"),
    "mp4 of an unknown brand": (
        v.ftyp(b"zzzz", (b"zzzz",)) + v.moov() + v.mdat(),
        "not an MP4 video",
    ),
    "mp4 ftyp with a ragged brand list": (
        v.box(b"ftyp", b"isom\x00\x00\x02\x00isomXY") + v.moov() + v.mdat(),
        "ftyp box is malformed",
    ),
    "mp4 random bytes after ftyp": (v.ftyp() + bytes(range(7, 250, 3)) * 20, "box"),
    "mp4 trailing bytes after the last box": (v.mp4() + b"\x00\x01\x02", "stray bytes"),
    "mp4 box type of control characters": (
        v.ftyp() + v.box(b"\x00\x01\x02\x03", bytes(8)) + v.moov() + v.mdat(),
        "no known kind",
    ),
    "mp4 of 30,000 empty boxes": (
        v.ftyp() + v.moov() + v.box(b"free") * 30_000 + v.mdat(),
        "too many boxes",
    ),
    "webm with DocType matroska": (
        v.ebml_header("matroska") + v.segment(),
        "its DocType is 'matroska', not \"webm\"",
    ),
    "webm without DocType": (v.ebml_header(None) + v.segment(), "DocType is none"),
    "webm needing EBML read version 2": (
        v.element(v.EBML, v.uint(0x42F7, 2) + v.text(v.DOCTYPE, "webm")) + v.segment(),
        "newer EBML reader",
    ),
    "webm allowing 16-byte ids": (
        v.element(v.EBML, v.uint(0x42F2, 16) + v.text(v.DOCTYPE, "webm")) + v.segment(),
        "EBML header is malformed",
    ),
    "webm header of unknown size": (
        v.element(v.EBML, v.text(v.DOCTYPE, "webm"), size=v.UNKNOWN_SIZE) + v.segment(),
        "unknown size",
    ),
    "webm without Segment": (v.ebml_header() + v.cluster(), "no Segment"),
    "webm Segment sized past the end": (
        v.ebml_header() + v.segment()[:-300],
        "runs past its end",
    ),
    "webm with bytes after its Segment": (v.webm() + b"junk", "stray bytes"),
    "webm without Info": (v.ebml_header() + v.segment(v.tracks(), v.cluster()), "no Info"),
    "webm with Info after the first Cluster": (
        v.ebml_header() + v.segment(v.tracks(), v.cluster(), v.info()),
        "no Info",
    ),
    "webm without Tracks": (v.ebml_header() + v.segment(v.info(), v.cluster()), "no track"),
    "webm without Cluster": (v.ebml_header() + v.segment(v.info(), v.tracks()), "no media"),
    "webm Info of unknown size": (
        v.ebml_header()
        + v.segment(
            v.element(v.INFO, v.info()[4 + 1 :], size=v.UNKNOWN_SIZE), v.tracks(), v.cluster()
        ),
        "unknown size",
    ),
    "webm duration 0": (v.webm(0.0), "no length"),
    "webm negative duration": (v.webm(-5.0), "no length"),
    "webm NaN duration": (v.webm(float("nan")), "no length"),
    "webm infinite duration": (v.webm(float("inf")), "no length"),
    "webm of 10 hours": (v.webm(float(TEN_HOURS_MS)), "36000 s long; the limit is 120 s"),
    "webm duration of 2 bytes": (
        v.ebml_header()
        + v.segment(
            v.element(
                v.INFO, v.uint(v.TIMESTAMP_SCALE, 10**6) + v.element(v.DURATION, b"\x01\x02")
            ),
            v.tracks(),
            v.cluster(),
        ),
        "Duration is malformed",
    ),  # fmt: skip
    "webm TimestampScale 0": (v.webm(scale=0), "TimestampScale is 0"),
    "webm random bytes after the EBML signature": (
        b"\x1a\x45\xdf\xa3" + bytes(range(250, 7, -3)) * 20,
        "WebM",
    ),
    "webm element id longer than 4 bytes": (
        v.ebml_header() + b"\x08\x00\x00\x00\x00\x81\x00" + v.segment(),
        "malformed element id",
    ),
    "webm zero byte where a size starts": (
        v.element(v.EBML, size=b"\x00") + v.segment(),
        "malformed element header",
    ),
}


@pytest.mark.parametrize(("data", "reason"), HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_video_is_415_with_a_reason(shopper, espresso, data, reason):
    body = assert_error(post_video(shopper, espresso, data), 415)

    assert reason in body["errors"][0], body
    assert not Review.objects.exists() and not ReviewMedia.objects.exists()


def test_the_longest_video_is_a_setting(shopper, espresso, settings):
    settings.REVIEW_VIDEO_MAX_SECONDS = 2
    body = assert_error(post_video(shopper, espresso, v.mp4(duration=3000)), 415)
    assert body["errors"] == ["The video is 3 s long; the limit is 2 s."]
    assert_error(post_video(shopper, espresso, v.webm(3000.0), "clip.webm"), 415)

    assert post_video(shopper, espresso, v.mp4(duration=2000)).status_code == 201


def test_a_video_over_its_byte_limit_is_413_before_it_is_parsed(shopper, espresso, settings):
    settings.REVIEW_VIDEO_MAX_BYTES = 1000
    # Broken as well as too large: the size is what the client must fix first.
    assert_error(post_video(shopper, espresso, v.ftyp() + bytes(5000)), 413)
