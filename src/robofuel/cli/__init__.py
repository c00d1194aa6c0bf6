"""The ``robofuel`` command line. Exit codes: 0 success, 1 failures the user asked to fail on, 2 usage/input error.

Every command on a lake takes ``--lake`` (default ``$ROBOFUEL_LAKE``, else ``./robofuel-lake``; ``demo`` makes its own
under ``--out``) and, where it reports, ``--json`` (machine-readable output on stdout; progress bars go to stderr).
One module per command group; the options they share are in :mod:`robofuel.cli.options`, the consoles and the
``--json`` writer in :mod:`robofuel.cli.console`. The commands are registered here, in the order ``--help`` lists them.
"""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from robofuel.cli import (
    demo,
    embodiment,
    episodes,
    export,
    ingest,
    ops,
    pack,
    process,
    qc,
    release,
    server,
    standard,
    synth,
)
from robofuel.cli.annotations import annotations_app  # the module's name is taken by `from __future__ import`
from robofuel.cli.console import err
from robofuel.cli.release_access import COMMANDS as RELEASE_ACCESS
from robofuel.errors import InputError, RobofuelError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="robofuel: a data factory for embodied AI.",
)
app.command()(ingest.ingest)
app.command()(process.process)
app.command()(qc.qc)
app.command(cls=export.ExportCommand)(export.export)
app.command("ls")(episodes.ls_)
app.command()(episodes.show)
app.command()(episodes.stats)
app.command()(standard.validate)
app.command()(pack.pack)
app.command()(ingest.formats)
app.command()(standard.schema)
app.command()(demo.demo)
app.add_typer(embodiment.embodiment_app, name="embodiment")
app.command("retarget")(embodiment.retarget)
app.add_typer(annotations_app, name="annotations")
app.command()(server.serve)
app.add_typer(server.users_app, name="users")
app.add_typer(server.tokens_app, name="tokens")
app.add_typer(ops.ops_app, name="ops")
app.add_typer(release.release_app, name="release")
for _name, _command in RELEASE_ACCESS.items():
    release.release_app.command(_name)(_command)
app.command()(synth.synth)


def main() -> None:
    """Console entry point: user errors become a message and exit code 2, never a traceback."""
    try:
        app()  # standalone: usage errors exit 2 with click's message, normal ends raise SystemExit
    except InputError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, markup=True, soft_wrap=True)
        sys.exit(2)
    except RobofuelError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, markup=True, soft_wrap=True)
        sys.exit(1)
