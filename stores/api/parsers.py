"""The parsers of both APIs (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]): DRF's, bounded.

Each reads at most its view's body limit (stores/api/limits.py) and one byte, so a body without
a Content-Length is bounded too (413). JSON nested deeper than MAX_JSON_DEPTH is a 400, never a
RecursionError; text holding a NUL character (which PostgreSQL refuses) or an unpaired
surrogate (which is no UTF-8) is a 422 on the field that holds it (the top-level one, or the
one inside the management API's wrapper object, {"customer": {…}}), whether in a key or a
value, at any depth: nothing past the parser ever sees one.
"""

import json
import re

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import QueryDict
from rest_framework import exceptions, parsers, status
from rest_framework.exceptions import ParseError
from rest_framework.utils.json import strict_constant

from stores.api.limits import NUL_MESSAGE, PayloadTooLarge, body_limit, too_large

MAX_JSON_DEPTH = 32  # objects and arrays inside each other, the outermost counting as 1
CHUNK = 64 * 1024
SURROGATE = re.compile("[\ud800-\udfff]")
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
SURROGATE_MESSAGE = "Text must be valid Unicode: it holds an unpaired surrogate (\\ud800–\\udfff)."
TOO_DEEP = f"JSON parse error - the body is nested deeper than {MAX_JSON_DEPTH} levels."
# The management API's write bodies wrap their fields (stores.api.management.unwrap); errors
# name the field inside, as the views do.
MANAGEMENT_PREFIX = "/api/"
MANAGEMENT_WRAPPERS = ("customer", "card", "reward", "address")


class UnprocessableText(exceptions.ValidationError):
    """A 422 (errors.py keeps a ValidationError's status unless it is DRF's 400)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY


def read_bounded(stream, limit: int) -> bytes:
    """The whole of `stream`, or a 413 as soon as it is longer than `limit` bytes."""
    chunks, total = [], 0
    while True:
        chunk = stream.read(min(CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise too_large(limit)


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return NUL_MESSAGE
    if not text.isascii() and SURROGATE.search(text):
        return SURROGATE_MESSAGE
    return None


def _refuse(message: str, path: tuple, *, wrapped: bool = False) -> UnprocessableText:
    if wrapped and len(path) > 1 and path[0] in MANAGEMENT_WRAPPERS:
        path = path[1:]
    if not path:
        return UnprocessableText([message])
    where = ".".join(str(part) for part in path)
    if len(path) > 1:
        message = f"{message[:-1]}: {where}."
    return UnprocessableText({str(path[0]): [message]})


def nested_deeper_than(data, limit: int) -> bool:
    """Whether the objects and arrays of `data` (parsed JSON) nest deeper than `limit`, the
    outermost counting as 1: level by level, without recursion."""
    level, depth = [data], 0
    while level:
        depth += 1
        if depth > limit:
            return True
        inside = []
        for value in level:
            inside.extend(value.values() if type(value) is dict else value)
        level = [value for value in inside if type(value) is dict or type(value) is list]
    return False


def _suspect(text: str) -> bool:
    """Whether `text` may hold a NUL or a surrogate once parsed: written as an escape (a
    surrogate pair, an escaped emoji, matches too; the walk then finds it whole), or raw (a
    charset such as UTF-7 can decode to one). Cheap: most bodies are answered here."""
    return (
        "\\u0000" in text
        or "\x00" in text
        or bool(SURROGATE_ESCAPE.search(text))
        or (not text.isascii() and bool(SURROGATE.search(text)))
    )


def check_json(data, text: str, *, wrapped: bool = False) -> None:
    """`data`, parsed from `text`: a 400 past MAX_JSON_DEPTH; a 422 for a key or a string with
    a NUL character or an unpaired surrogate (on the top-level key holding it, or with
    `wrapped` the key inside a MANAGEMENT_WRAPPERS object)."""
    if type(data) in (dict, list) and nested_deeper_than(data, MAX_JSON_DEPTH):
        raise ParseError(TOO_DEEP)
    if _suspect(text):
        _check_json_text(data, wrapped=wrapped)


def _check_json_text(data, *, wrapped: bool) -> None:
    """Find the first bad key or string of `data` (at most MAX_JSON_DEPTH deep): a quick walk
    over values alone, then, only for a bad one, a second walk that knows its path."""
    stack = [data]
    while stack:
        value = stack.pop()
        if type(value) is dict:
            stack.extend(value)
            stack.extend(value.values())
        elif type(value) is list:
            stack.extend(value)
        elif type(value) is str and _text_problem(value):
            _refuse_first(data, wrapped=wrapped)


def _refuse_first(data, *, wrapped: bool) -> None:
    stack = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                problem = _text_problem(key)
                if problem:
                    raise _refuse(problem, (*path, key), wrapped=wrapped)
                stack.append((item, (*path, key)))
        elif isinstance(value, list):
            stack.extend((item, (*path, index)) for index, item in enumerate(value))
        elif isinstance(value, str):
            problem = _text_problem(value)
            if problem:
                raise _refuse(problem, path, wrapped=wrapped)


def check_form(data: QueryDict) -> None:
    """The same for the text fields of a form (names and values; files are not text)."""
    for name, values in data.lists():
        for text in (name, *values):
            problem = _text_problem(text) if isinstance(text, str) else None
            if problem:
                raise _refuse(problem, (name,))


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        raw = read_bounded(stream, body_limit(parser_context.get("view")))
        try:
            text = raw.decode(parsers.get_encoding(parser_context))
        except (LookupError, UnicodeDecodeError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        try:
            data = json.loads(text, parse_constant=strict_constant if self.strict else None)
        except RecursionError as exc:
            raise ParseError(TOO_DEEP) from exc
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        request = parser_context.get("request")
        path = getattr(request, "path", "") or ""
        check_json(data, text, wrapped=path.startswith(MANAGEMENT_PREFIX))
        return data


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        raw = read_bounded(stream, body_limit(parser_context.get("view")))
        try:
            data = QueryDict(raw, encoding=parsers.get_encoding(parser_context))
        except TooManyFieldsSent as exc:
            raise ParseError(str(exc)) from exc
        check_form(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        bounded = _Bounded(stream, body_limit(parser_context.get("view")))
        try:
            result = super().parse(bounded, media_type, parser_context)
        except RequestDataTooBig as exc:  # text fields over DATA_UPLOAD_MAX_MEMORY_SIZE
            raise PayloadTooLarge(str(exc)) from exc
        except (TooManyFieldsSent, TooManyFilesSent) as exc:
            raise ParseError(str(exc)) from exc
        check_form(result.data)
        return result


class _Bounded:
    """`stream`, refusing (413) to be read past `limit` bytes."""

    def __init__(self, stream, limit: int):
        self.stream, self.limit, self.read_bytes = stream, limit, 0

    def read(self, size=-1):
        wanted = self.limit + 1 - self.read_bytes
        chunk = self.stream.read(wanted if size is None or size < 0 else min(size, wanted))
        self.read_bytes += len(chunk)
        if self.read_bytes > self.limit:
            raise too_large(self.limit)
        return chunk
