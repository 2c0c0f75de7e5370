"""Reading the data files: YAML lists of mappings, typed text fields, and one error that lists every problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

# libyaml's parser when PyYAML was built with it (the same documents, several times faster: the FAQ domains' i18n files
# are megabytes, and a restarted action server reads them all); the pure-Python one otherwise.
YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DataError(Exception):
    """The data files cannot be loaded or are inconsistent; `problems` lists every finding."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid knowledge-base data:\n  - " + "\n  - ".join(self.problems))


def text_field(entry: dict[str, Any], key: str, where: str, problems: list[str], required: bool = True) -> str | None:
    """`entry[key]` as stripped text; a missing required or a non-text value is recorded in `problems`."""
    value = entry.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(f"{where}: missing '{key}'")
        return None
    if not isinstance(value, (str, int, float)):
        problems.append(f"{where}: '{key}' must be text, got {type(value).__name__}")
        return None
    return str(value).strip()


def text_list(value: Any, where: str, problems: list[str], key: str = "aliases") -> tuple[str, ...]:
    """A YAML list of strings (None = empty), without blanks."""
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append(f"{where}: '{key}' must be a list")
        return ()
    return tuple(str(text).strip() for text in value if text is not None and str(text).strip())


def read_yaml(path: Path, problems: list[str], label: str | None = None) -> Any:
    """The parsed file; None (with the problem recorded) when it cannot be read."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)  # a safe loader
    except (OSError, yaml.YAMLError) as exc:
        problems.append(f"{label or path.name}: cannot read YAML ({exc})")
        return None


def read_yaml_list(path: Path, problems: list[str], label: str | None = None) -> list[dict[str, Any]]:
    """A file holding a list of mappings ([] for an empty file)."""
    data = read_yaml(path, problems, label)
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(entry, dict) for entry in data):
        problems.append(f"{label or path.name}: expected a list of mappings")
        return []
    return data
