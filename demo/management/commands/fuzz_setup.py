"""Create a store to fuzz (demo.fuzz) and write the schemathesis configuration aimed at it.

`make fuzz` runs it on a throwaway database, then `schemathesis --config-file <file> run` against
a live server. Do not point it at a database you care about: the fuzzer creates, changes and
deletes customers, places, cards and rewards of that store.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand

from demo.fuzz import fuzz_store_create, schemathesis_config


def toml_value(value) -> str:
    """`value` (str, int, bool, list or dict) as a TOML value; dicts as inline tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{json.dumps(str(key))} = {toml_value(item)}" for key, item in value.items())
        return "{ " + ", ".join(pairs) + " }"
    raise TypeError(f"No TOML form for {value!r}")


def toml_document(config: dict) -> str:
    """A schemathesis.toml: top-level values, then one table per dict and one array of tables
    per list of dicts (their own nested dicts inline)."""
    lines = [f"{json.dumps(k)} = {toml_value(v)}" for k, v in config.items() if not _table(v)]
    for key, value in config.items():
        if isinstance(value, dict):
            lines += ["", f"[{json.dumps(key)}]"]
            lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()]
        elif _table(value):
            for item in value:
                lines += ["", f"[[{json.dumps(key)}]]"]
                lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in item.items()]
    return "\n".join(lines) + "\n"


def _table(value) -> bool:
    return isinstance(value, dict) or (
        isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)
    )


class Command(BaseCommand):
    help = "Create a store to fuzz and write a schemathesis.toml aimed at it (make fuzz)."

    def add_arguments(self, parser):
        parser.add_argument("--config", required=True, help="Where to write schemathesis.toml.")
        parser.add_argument("--examples", type=int, default=100, help="Examples per operation.")

    def handle(self, *args, config, examples, **options):
        fuzz = fuzz_store_create()
        path = Path(config)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            toml_document(schemathesis_config(fuzz, max_examples=examples, stateful=True))
        )
        self.stdout.write(f"Fuzz store {fuzz.store_id}; schemathesis configuration in {path}.")
