"""Uploaded photos: checked by content (not by name), re-encoded to strip metadata."""

import io

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
DEFAULT_MAX_PIXELS = 8000 * 8000


def reencode_image(upload, *, max_bytes: int, max_side: int = 8000) -> ContentFile:
    """Validate an uploaded image and return a clean copy without EXIF or other metadata.

    Refuses files larger than `max_bytes`, sides longer than `max_side` pixels, and anything
    Pillow does not recognise as a JPEG, PNG or WebP image.
    """
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    if size > max_bytes:
        raise ValidationError(
            f"The image is too large ({size // 1024} KB); the limit is {max_bytes // 1024} KB.",
            code="too_large",
        )
    upload.seek(0)
    try:
        with Image.open(upload) as probe:
            image_format = probe.format
            width, height = probe.size
            probe.verify()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
    ) as exc:
        raise ValidationError("Upload a JPEG, PNG or WebP image.", code="invalid_image") from exc
    if image_format not in ALLOWED_FORMATS:
        raise ValidationError("Upload a JPEG, PNG or WebP image.", code="invalid_image")
    if width > max_side or height > max_side:
        raise ValidationError(
            f"The image is {width}×{height} px; the limit is {max_side} px a side.",
            code="too_large",
        )
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            image = ImageOps.exif_transpose(image)
            if image_format == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            image.info.clear()  # no comment, EXIF, XMP or other text rides along into the copy
            out = io.BytesIO()
            image.save(out, format=image_format)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError("The image could not be read.", code="invalid_image") from exc
    return ContentFile(out.getvalue(), name=f"image.{ALLOWED_FORMATS[image_format]}")
