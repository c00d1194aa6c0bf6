"""A release's Croissant 1.1 metadata (``croissant.json``, JSON-LD) with the Responsible-AI (RAI) fields: how the
data was collected and annotated, what personal and sensitive information it holds, its limitations and uses.

Every data file of the release is a ``cr:FileObject`` with its sha256; ``episodes.csv`` is described by the record
set ``episodes`` (one record per episode: id, task, scene, embodiment, duration, verdict, licence, consent).
"""

from __future__ import annotations

from typing import Any

from robofuel.release.card import EPISODE_COLUMNS, limitations

CONFORMS_TO = "http://mlcommons.org/croissant/1.1"

CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "sc": "https://schema.org/",
    "samplingRate": "cr:samplingRate",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

_TYPES = {"duration_s": "sc:Float", "synthetic": "sc:Boolean"}
_MEDIA = {
    ".parquet": "application/x-parquet",
    ".json": "application/json",
    ".csv": "text/csv",
    ".mp4": "video/mp4",
    ".mcap": "application/x-mcap",
    ".hdf5": "application/x-hdf5",
    ".h5": "application/x-hdf5",
    ".tar": "application/x-tar",
    ".md": "text/markdown",
}


def _file(rel: str, sha: str) -> dict[str, Any]:
    suffix = "." + rel.rsplit(".", 1)[-1] if "." in rel.rsplit("/", 1)[-1] else ""
    return {
        "@type": "cr:FileObject",
        "@id": rel,
        "name": rel,
        "contentUrl": rel,
        "encodingFormat": _MEDIA.get(suffix, "application/octet-stream"),
        "sha256": sha,
    }


def _episodes_record_set() -> dict[str, Any]:
    fields = [
        {
            "@type": "cr:Field",
            "@id": f"episodes/{col}",
            "name": col,
            "dataType": _TYPES.get(col, "sc:Text"),
            "source": {"fileObject": {"@id": "episodes.csv"}, "extract": {"column": col}},
        }
        for col in EPISODE_COLUMNS
    ]
    return {
        "@type": "cr:RecordSet",
        "@id": "episodes",
        "name": "episodes",
        "key": {"@id": "episodes/id"},
        "field": fields,
    }


def _rai(manifest: dict[str, Any]) -> dict[str, Any]:
    modes = ", ".join(sorted({e.get("format", "") for e in manifest["episodes"]} - {""})) or "robot recordings"
    redaction = manifest.get("redaction", {})
    redacted = (
        f"Video and audio were redacted by the `{redaction.get('step')}` step, version {redaction.get('version')}."
        if redaction.get("applied")
        else "No redaction was applied: faces, voices and workplaces that cameras and microphones caught may appear."
    )
    return {
        "rai:dataCollection": (
            "Demonstrations recorded by teleoperated robots and/or wearable capture (cameras, IMUs, gloves) worn by "
            f"operators at the base's stations; read from {modes} recordings by robofuel, synchronised and checked "
            "by its quality-control rules. Each operator consented to the purpose of this release."
        ),
        "rai:dataCollectionType": ["Manual Human Curated", "Experiments"],
        "rai:dataAnnotationProtocol": (
            "Task ids and instructions come from the collection sessions; quality verdicts and findings from "
            "robofuel's qc step (rules in docs/qc.md), confirmed or overridden by reviewers; segments from the "
            "annotate step, corrected by people where marked source=human."
        ),
        "rai:dataPreprocessingProtocol": (
            "Streams timestamp-aligned and resampled to the export rate; camera packets copied where the format allows."
        ),
        "rai:personalSensitiveInformation": (
            f"Operators appear only as pseudonymous ids ({manifest['operators']} operators). {redacted}"
        ),
        "rai:dataLimitations": " ".join(limitations(manifest)),
        "rai:dataUseCases": (
            f"Training and evaluating robot manipulation policies; licensed for {manifest['purpose']} use."
        ),
        "rai:dataBiases": (
            "Collected at a small number of sites, stations and scenes by a small operator pool: see the data card."
        ),
        "rai:dataReleaseMaintenancePlan": "Releases are immutable; a corrected release is published under a new name.",
    }


def croissant(manifest: dict[str, Any], files: dict[str, str]) -> dict[str, Any]:
    """The Croissant JSON-LD document of a release (``files``: its data files, relative path -> sha256)."""
    eps = manifest["episodes"]
    hours = sum(float(e["duration_s"]) for e in eps) / 3600
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": manifest["name"],
        "description": (
            f"{len(eps)} robot demonstration episodes ({hours:.3f} hours) in {manifest['format']} format, released "
            f"by robofuel for {manifest['purpose']} use."
        ),
        "license": manifest["license"],
        "url": f"robofuel-release:{manifest['name']}",
        "version": "1.0.0",
        "datePublished": manifest["created_at"][:10],
        "citeAs": f"{manifest['name']} (robofuel release, {manifest['created_at'][:10]})",
        "keywords": ["robotics", "manipulation", "demonstrations", manifest["format"]],
        **_rai(manifest),
        "distribution": [_file(rel, sha) for rel, sha in sorted(files.items())],
        "recordSet": [_episodes_record_set()],
    }
