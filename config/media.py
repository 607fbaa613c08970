"""/media/: uploaded photos and review videos served from this server's disk, with or without
DEBUG (MEDIA_STORAGE=local; with MEDIA_STORAGE=s3 the files are in a bucket and this answers
404).

Only files under MEDIA_ROOT, found through the storage API (no `..`, no absolute path, no
symbolic link out of it). A file is served as what its extension says only for the types our
upload checks produce, and those extensions were chosen from the content when it was stored;
anything else is an `application/octet-stream` download. Names are unique and never reused, so
responses are cached for a year. Single byte ranges are answered (206), which Safari needs to
play a video.
"""

import re
from pathlib import Path

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.utils import validate_file_name
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

# What customers/images.py and reviews/media.py store, by the extension they give each file.
SAFE_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "mp4": "video/mp4",
    "webm": "video/webm",
}
CACHE_CONTROL = "public, max-age=31536000, immutable"
SINGLE_RANGE = re.compile(r"bytes=(\d{0,18})-(\d{0,18})")
CHUNK = 64 * 1024


def _local_file(storage: FileSystemStorage, name: str) -> Path | None:
    """The regular file `name` stands for under the storage's folder, or None."""
    try:
        validate_file_name(name, allow_relative_path=True)  # no "..", not absolute
        path = Path(storage.path(name))  # joined safely under MEDIA_ROOT
        real = path.resolve(strict=True)
        root = Path(storage.location).resolve(strict=True)
    except (SuspiciousFileOperation, OSError, ValueError, RuntimeError):
        return None
    if not real.is_relative_to(root) or not real.is_file():
        return None
    return real


def _byte_range(header: str, size: int) -> tuple[int, int] | None | bool:
    """(first, last) byte of a single `Range: bytes=…` the file can satisfy; None to ignore
    the header (absent, malformed or several ranges: the whole file is sent); False when it
    cannot be satisfied (416)."""
    match = SINGLE_RANGE.fullmatch(header.strip())
    if not match or match.group(1) == match.group(2) == "":
        return None
    first, last = match.groups()
    if first == "":  # the last N bytes
        suffix = int(last)
        return (max(0, size - suffix), size - 1) if suffix and size else False
    first = int(first)
    if last != "" and int(last) < first:
        return None  # malformed
    if first >= size:
        return False
    return first, size - 1 if last == "" else min(int(last), size - 1)


def _chunks(handle, first: int, length: int):
    try:
        handle.seek(first)
        while length > 0:
            data = handle.read(min(CHUNK, length))
            if not data:
                break
            length -= len(data)
            yield data
    finally:
        handle.close()


@require_safe
def media_file(request, path):
    if not isinstance(default_storage, FileSystemStorage):
        raise Http404("Media are not stored on this server.")
    real = _local_file(default_storage, path)
    if real is None:
        raise Http404("No such file.")
    content_type = SAFE_TYPES.get(real.suffix.lower().lstrip("."))
    attachment = content_type is None
    content_type = content_type or "application/octet-stream"
    size = real.stat().st_size

    byte_range = None
    if "HTTP_IF_RANGE" not in request.META:  # no validators are sent, so none can match
        byte_range = _byte_range(request.headers.get("Range", ""), size)
    if byte_range is False:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    elif byte_range is None:
        response = FileResponse(
            real.open("rb"), content_type=content_type, as_attachment=attachment
        )
    else:
        first, last = byte_range
        response = StreamingHttpResponse(
            _chunks(real.open("rb"), first, last - first + 1),
            status=206,
            content_type=content_type,
        )
        response["Content-Length"] = str(last - first + 1)
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    if response.status_code != 416:
        response["Content-Disposition"] = content_disposition_header(attachment, real.name)
        response["Cache-Control"] = CACHE_CONTROL
    response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    return response
