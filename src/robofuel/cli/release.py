"""``robofuel release``: frozen, signed releases of episodes under the lake (docs/releases.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from robofuel.cli.console import emit_json, out
from robofuel.cli.options import Catalog_, Json_, Lake_, Where_

release_app = typer.Typer(help="Create, list, verify, compare and trace releases.", no_args_is_help=True)


@release_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="A new name (letters, digits, . _ -): releases are immutable.")],
    format: Annotated[str, typer.Option("--format", help="Target format of the export (docs/export.md).")],
    purpose: Annotated[str, typer.Option("--purpose", help="internal, commercial or open-release.")],
    where: Where_ = None,
    embodiment: Annotated[
        str | None, typer.Option("--embodiment", help="Retarget to this embodiment id and export its joints.")
    ] = None,
    recipient: Annotated[
        list[str] | None, typer.Option("--recipient", help="Also make a fingerprinted copy for this recipient.")
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="Without --where: every verdict (default: qualified).")] = False,
    fps: Annotated[float | None, typer.Option(help="Rows per second of the export (default: the format's).")] = None,
    redaction: Annotated[
        bool,
        typer.Option(
            "--redaction/--no-redaction",
            help="Run the privacy step (faces, speech, names) on what goes out [on]; off is recorded in the release.",
        ),
    ] = True,
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    as_json: Json_ = False,
) -> None:
    """Select (default: qualified, current episodes), keep those whose consent and licence allow PURPOSE, redact,
    export, write the manifest, data card and Croissant metadata, sign, and freeze under the lake's releases/."""
    from robofuel.context import open_workspace
    from robofuel.release.create import create as make
    from robofuel.release.store import releases_dir

    with open_workspace(lake, catalog, create=False, lease="release create") as ws:
        manifest = make(ws, name, format, purpose, where, embodiment, recipient or [], every, fps, redaction)
        path = releases_dir(ws) / name
    summary = {
        "name": name,
        "path": str(path),
        "episodes": len(manifest["episodes"]),
        "synthetic_episodes": manifest["synthetic_episodes"],
        "license": manifest["license"],
        "left_out": manifest["left_out"],
        "redaction": manifest["redaction"],
        "recipients": recipient or [],
        "files": len(manifest["files"]),
    }
    if as_json:
        emit_json(summary)
        return
    synthetic = f" ({summary['synthetic_episodes']} synthetic)" if summary["synthetic_episodes"] else ""
    out.print(f"release {name}: {summary['episodes']} episodes{synthetic}, licence {summary['license']}, in {path}")
    for why, n in sorted(manifest["left_out"].items(), key=lambda kv: -kv[1]):
        out.print(f"  left out {n}: {why}")
    if not manifest["redaction"].get("applied"):
        out.print(f"  no redaction: {manifest['redaction'].get('reason')}")
    for r in recipient or []:
        out.print(f"  recipient copy: {path / 'recipients' / r}")


@release_app.command("list")
def list_(lake: Lake_ = None, catalog: Catalog_ = None, as_json: Json_ = False) -> None:
    """The lake's releases."""
    from robofuel.context import open_workspace
    from robofuel.release.store import listing

    with open_workspace(lake, catalog, create=False) as ws:
        doc = listing(ws)
    if as_json:
        emit_json(doc)
        return
    for r in doc["releases"]:
        out.print(f"{r['name']}  {r['episodes']} episodes  {r['format']}  {r['purpose']}  {r['license']}  {r['path']}")


@release_app.command("verify")
def verify(
    name: Annotated[str, typer.Argument(help="A release of the lake.")],
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    as_json: Json_ = False,
) -> None:
    """Recompute every checksum and check the signature (and that the key is this base's); exit 1 on any
    difference, naming the files."""
    from robofuel.context import open_workspace
    from robofuel.release.keys import signing_key
    from robofuel.release.manifest import public_pem, verify_folder
    from robofuel.release.store import copies, folder, keys_dir

    with open_workspace(lake, catalog, create=False) as ws:
        base = folder(ws, name)
        public = public_pem(signing_key(keys_dir(ws)))
        checks = [verify_folder(path, public) for _, path in copies(base)]
    ok = all(c.ok for c in checks)
    if as_json:
        emit_json({"name": name, "ok": ok, "copies": [c.to_dict() for c in checks]})
    else:
        for c in checks:
            _print_check(c.to_dict())
    if not ok:
        raise typer.Exit(1)


def _print_check(c: dict[str, Any]) -> None:
    out.print(f"{c['folder']}: {'ok' if c['ok'] else 'FAILED'} (signature {c['signature']})", highlight=False)
    if c["base_key"] is False:
        out.print("  signed with a key that is not this base's")
    for kind in ("changed", "missing", "unlisted"):
        for f in c[kind]:
            out.print(f"  {kind}: {f}", highlight=False)


@release_app.command("diff")
def diff(
    a: Annotated[str, typer.Argument(help="The older release.")],
    b: Annotated[str, typer.Argument(help="The newer release.")],
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    as_json: Json_ = False,
) -> None:
    """Episodes added, removed and changed from A to B, and files changed."""
    from robofuel.context import open_workspace
    from robofuel.release.store import diff as compare
    from robofuel.release.store import folder

    with open_workspace(lake, catalog, create=False) as ws:
        doc = compare(folder(ws, a), folder(ws, b))
    if as_json:
        emit_json(doc)
        return
    e, f = doc["episodes"], doc["files"]
    out.print(f"{a} -> {b}: episodes +{len(e['added'])} -{len(e['removed'])} ~{len(e['changed'])} ={e['same']}")
    out.print(f"files +{len(f['added'])} -{len(f['removed'])} ~{len(f['changed'])}")
    for kind in ("added", "removed", "changed"):
        for ep in e[kind]:
            out.print(f"  episode {kind}: {ep}")
    for setting, (va, vb) in doc["settings"].items():
        out.print(f"  {setting}: {va} -> {vb}")


@release_app.command("trace")
def trace(
    path: Annotated[Path, typer.Argument(help="A file or folder from a leaked copy.")],
    lake: Lake_ = None,
    catalog: Catalog_ = None,
    as_json: Json_ = False,
) -> None:
    """Name the recipient whose copy a leaked file came from (exit 1 when it matches no release of the lake)."""
    from robofuel.context import open_workspace
    from robofuel.release.store import releases_dir
    from robofuel.release.trace import trace as find

    with open_workspace(lake, catalog, create=False) as ws:
        doc = find(path, releases_dir(ws))
    if as_json:
        emit_json(doc)
    elif doc["recipient"]:
        out.print(f"{path}: recipient {doc['recipient']} (release {doc['release']}; {len(doc['evidence'])} files)")
    elif doc["unmarked"]:
        out.print(f"{path}: unmarked: the base's own copy of release {doc['release']}, no recipient fingerprint")
    else:
        out.print(f"{path}: matches no release of this lake")
    if doc["recipient"] is None and not doc["unmarked"]:
        raise typer.Exit(1)
