"""What several commands share: progress lines on stderr, the diagnostics gate, figures,
output folders and the user's program."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from graphs.files import writable_folder

from ..errors import ZooError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..programs import BoundProgram


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def warn(diagnostics: dict) -> None:
    """The diagnostics gate: every failed check as a warning on stderr (the JSON card
    carries the same lines under ``diagnostics.warnings`` and ``diagnostics.pass``)."""
    for line in diagnostics.get("warnings", []):
        note(f"zoo: warning: {line}")


def save(fig: Figure, path: str) -> None:
    import graphs

    out = graphs.save_figure(fig, path)
    print(f"wrote {out}", file=sys.stderr)


def check_out(path: str) -> Path:
    """``--out`` must be, or be creatable as, a writable folder; checked before any work."""
    return writable_folder(path)


def check_figure_path(path: str) -> None:
    if Path(path).suffix.lower() not in (".png", ".svg", ".pdf"):
        raise ZooError(f"--draw {path!r}: expected a .png, .svg or .pdf file name")
    check_out(str(Path(path).parent))


def load_bound(spec: str, data_path: str | None) -> BoundProgram:
    """The user's program with its data bound; every check runs before any compile."""
    from ..programs import bind, load_program, read_data

    data = read_data(data_path) if data_path else None  # a bad file fails before import
    fn = load_program(spec)
    return bind(fn, data, name=spec.rsplit(":", 1)[1])
