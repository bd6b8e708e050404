"""Our collector's ``manifest.json``, type-checked: what the checks, the report and ``serve`` read
of it, each field of the type the collector writes, or left out (and noted, for "could not read").

Real sample (trimmed)::

    {"collector": "collect-bundle.sh", "collector_version": "0.1.0", "collected_at": "2026-11-20T09:14:00Z",
     "context": "prod-gpu-east", "server_version": "v1.30.6", "namespaces": ["llm"], "hami_namespace": null,
     "options": {"namespaces": ["llm"], "max_log_bytes": 5242880, "previous_logs": true, "request_timeout": "30s"},
     "commands": [{"source": "version", "namespace": null, "argv": ["kubectl", "version", "-o", "json"],
                   "exit_code": 0, "bytes": 644, "duration_ms": 192, "stderr": "", "path": "cluster/version.json"}]}

>>> m = checked_manifest({"namespaces": "llm", "commands": [{"exit_code": "n/a", "argv": "kubectl"}, 7]})
>>> m["namespaces"], m["commands"]
([], [{'source': None, 'namespace': None, 'argv': [], 'exit_code': None, 'bytes': None, 'duration_ms': None, 'stderr': None, 'path': None}])
"""

from __future__ import annotations

from typing import Any

from analyzer.parse.quantity import bounded_int, note_value, parse_time
from analyzer.parse.shape import dict_of, list_of, text

TEXT_FIELDS = ("collector", "collector_version", "context", "server_version", "hami_namespace")
COMMAND_TEXT = ("source", "namespace", "stderr", "path")
COMMAND_INTS = ("exit_code", "bytes", "duration_ms")


def checked_manifest(raw: Any) -> dict[str, Any]:
    """The manifest with every field of its documented type: text fields as text, ``namespaces``
    a list of names, ``collected_at`` a time, ``options`` scalars only, each command record with
    text fields, ``argv`` a list of text and integer counts (None when not one)."""
    man = dict_of(raw, "manifest")
    out: dict[str, Any] = {k: text(man.get(k), k) for k in TEXT_FIELDS}
    out["collected_at"] = man["collected_at"] if parse_time(man.get("collected_at"), "collected_at") else None
    out["namespaces"] = _names(man.get("namespaces"), "namespaces")
    options: dict[str, Any] = {}
    for key, value in dict_of(man.get("options"), "options").items():
        if key == "namespaces":
            options[key] = _names(value, "options.namespaces")
        elif value is None or isinstance(value, (bool, int, float)):
            options[key] = value
        else:
            options[key] = text(value, f"options.{key}")
    out["options"] = options
    commands = []
    for i, record in enumerate(list_of(man.get("commands"), "commands")):
        if not isinstance(record, dict):
            note_value(f"commands[{i}]", record, "is not a command record")
            continue
        cmd: dict[str, Any] = {k: text(record.get(k), f"commands[{i}].{k}") for k in COMMAND_TEXT}
        cmd["argv"] = [a for a in (text(x, f"commands[{i}].argv") for x in list_of(record.get("argv"),
                                                                                   f"commands[{i}].argv"))
                       if a is not None]
        for k in COMMAND_INTS:
            cmd[k] = bounded_int(record.get(k), f"commands[{i}].{k}")
        commands.append({k: cmd[k] for k in ("source", "namespace", "argv", *COMMAND_INTS, "stderr", "path")})
    out["commands"] = commands
    return out


def _names(value: Any, field: str) -> list[str]:
    return [n for n in (text(x, f"{field}[]") for x in list_of(value, field)) if n]
