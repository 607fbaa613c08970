"""Checks on a review's photos and videos, by content (never by name or declared type).

Photos (JPEG, PNG, WebP) are recognised by Pillow and re-encoded from their pixels, so EXIF
(GPS, camera), XMP and comments never reach storage (the colour profile is kept). Videos (MP4,
WebM) are recognised by their signature bytes, then their container is parsed from the first
byte to the last and its duration checked (reviews/containers.py); they are kept as sent.
Limits come from settings (REVIEW_*), with the defaults below, so a test can lower them.
"""

import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from PIL import Image, ImageOps, UnidentifiedImageError

from reviews import containers
from reviews.models import ReviewMedia

MB = 1024 * 1024
DEFAULTS = {
    "REVIEW_MAX_FILES": 5,
    "REVIEW_PHOTO_MAX_BYTES": 10 * MB,
    "REVIEW_PHOTO_MAX_SIDE": 8000,
    "REVIEW_VIDEO_MAX_BYTES": 50 * MB,
    "REVIEW_VIDEO_MAX_SECONDS": 120,
}
PHOTO_FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
}
WEBM_SIGNATURE = b"\x1a\x45\xdf\xa3"
UNSUPPORTED = "Upload JPEG, PNG or WebP photos, or MP4 or WebM videos."


class MediaUnsupported(ValidationError):
    """Not a photo or video we take (the API answers 415)."""

    def __init__(self, message=UNSUPPORTED):
        super().__init__({"files": [message]})


class MediaTooLarge(ValidationError):
    """Over a size limit (the API answers 413)."""

    def __init__(self, message):
        super().__init__({"files": [message]})


def limit(name: str) -> int:
    return getattr(settings, name, DEFAULTS[name])


def largest_file_bytes() -> int:
    return max(limit("REVIEW_PHOTO_MAX_BYTES"), limit("REVIEW_VIDEO_MAX_BYTES"))


def base64_max_chars(max_bytes: int) -> int:
    """The longest base64 text that can decode to at most `max_bytes` (with a little room for
    line breaks), so a payload is refused before it is decoded."""
    return (max_bytes + 2) // 3 * 4 * 102 // 100 + 64


def largest_request_bytes() -> int:
    """No review post can be larger: every file at the largest size, in base64, and 1 MB."""
    return limit("REVIEW_MAX_FILES") * base64_max_chars(largest_file_bytes()) + MB


@dataclass
class CleanMedia:
    kind: str
    content: File
    content_type: str
    extension: str
    size: int
    width: int | None = None
    height: int | None = None


def _size_of(upload) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    return size


def _too_large(what: str, size: int, max_bytes: int) -> MediaTooLarge:
    return MediaTooLarge(
        f"The {what} is too large ({size / MB:.1f} MB); the limit is {max_bytes / MB:.0f} MB."
    )


def _video_check(head: bytes):
    """The container check for a file that starts like a video, or None (not a video)."""
    if head.startswith(WEBM_SIGNATURE):
        return containers.webm_check
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] not in containers.NOT_MP4_BRANDS:
        return containers.mp4_check
    return None


def _photo_format(upload) -> tuple[str, int, int] | None:
    upload.seek(0)
    try:
        with Image.open(upload, formats=list(PHOTO_FORMATS)) as probe:
            return probe.format, *probe.size
    except Image.DecompressionBombError as exc:
        raise MediaTooLarge("The photo has too many pixels.") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None


def _clean_mode(image: Image.Image, image_format: str) -> str:
    has_alpha = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info
    if image_format == "JPEG":
        return "L" if image.mode in ("L", "1") else "RGB"
    return "RGBA" if has_alpha else "RGB"


def photo_reencode(upload, image_format: str) -> tuple[bytes, int, int]:
    """The photo's pixels (turned upright by its EXIF orientation) in a new image of the same
    format: nothing of the original file but the pixels and the colour profile is kept."""
    upload.seek(0)
    try:
        with Image.open(upload, formats=[image_format]) as image:
            image.verify()
        upload.seek(0)
        with Image.open(upload, formats=[image_format]) as image:
            icc_profile = image.info.get("icc_profile")
            upright = ImageOps.exif_transpose(image)
            mode = _clean_mode(upright, image_format)
            pixels = upright.convert(mode)
            clean = Image.new(mode, pixels.size)
            clean.paste(pixels)
            out = io.BytesIO()
            options = {"quality": 90} if image_format in ("JPEG", "WEBP") else {"optimize": True}
            if icc_profile:
                options["icc_profile"] = icc_profile  # colour, not personal: photos look right
            clean.save(out, format=image_format, **options)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise MediaUnsupported("The photo could not be read.") from exc
    return out.getvalue(), clean.width, clean.height


def media_clean(upload) -> CleanMedia:
    """One file checked by its content: a re-encoded photo or a video as sent (its container
    parsed, its duration at most REVIEW_VIDEO_MAX_SECONDS).

    Raises MediaUnsupported (anything else, or a video that does not parse) or MediaTooLarge
    (bytes or pixels over the limit).
    """
    size = _size_of(upload)
    if size > largest_file_bytes():
        raise _too_large("file", size, largest_file_bytes())
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)

    video_check = _video_check(head)
    if video_check is not None:
        if size > limit("REVIEW_VIDEO_MAX_BYTES"):
            raise _too_large("video", size, limit("REVIEW_VIDEO_MAX_BYTES"))
        try:
            video = video_check(upload, size, max_seconds=limit("REVIEW_VIDEO_MAX_SECONDS"))
        except containers.InvalidVideo as exc:
            raise MediaUnsupported(str(exc)) from exc
        finally:
            upload.seek(0)
        return CleanMedia(
            kind=ReviewMedia.Kind.VIDEO,
            content=upload if isinstance(upload, File) else File(upload),
            content_type=video.content_type,
            extension=video.extension,
            size=size,
        )

    probe = _photo_format(upload)
    if probe is None:
        raise MediaUnsupported()
    image_format, width, height = probe
    if size > limit("REVIEW_PHOTO_MAX_BYTES"):
        raise _too_large("photo", size, limit("REVIEW_PHOTO_MAX_BYTES"))
    max_side = limit("REVIEW_PHOTO_MAX_SIDE")
    if width > max_side or height > max_side:
        raise MediaTooLarge(f"The photo is {width}×{height} px; the limit is {max_side} px a side.")
    data, width, height = photo_reencode(upload, image_format)
    extension, content_type = PHOTO_FORMATS[image_format]
    return CleanMedia(
        kind=ReviewMedia.Kind.PHOTO,
        content=ContentFile(data),
        content_type=content_type,
        extension=extension,
        size=len(data),
        width=width,
        height=height,
    )


def media_clean_all(files) -> list[CleanMedia]:
    """Every file of a review, in order; more than REVIEW_MAX_FILES is a "files" error."""
    files = list(files or ())
    if len(files) > limit("REVIEW_MAX_FILES"):
        raise ValidationError(
            {"files": [f"Attach at most {limit('REVIEW_MAX_FILES')} photos or videos."]}
        )
    return [media_clean(upload) for upload in files]
