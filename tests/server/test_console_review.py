"""The review side of the console: the queue of needs_review episodes and unsure segments, segment edits kept with
who and when (in show --json, the annotation file and the audit trail), and reviewers' agreement."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from console_site import Site

from robofuel.context import open_workspace
from robofuel.server.agreement import agreement, kappa, latest_decisions
from robofuel.standard import Finding, Segment, Severity
from robofuel.steps.annotate.review import CODE

pytest.importorskip("fastapi", reason="the console needs robofuel[server] (fastapi, uvicorn)")


def _annotate(site: Site) -> float:
    """Give episode 0 three segments (the middle one unsure) and the annotate step's review mark, and make episode
    1 need review for a QC warning; returns episode 0's duration (s)."""
    with open_workspace(str(site.lake), create=False) as ws:
        meta = ws.lake.read_meta(site.ids[0])
        d = meta.duration_s
        segments = [
            Segment(start_s=0.0, end_s=0.3 * d, label="reach", confidence=0.9),
            Segment(start_s=0.3 * d, end_s=0.6 * d, label="grasp", confidence=0.42),
            Segment(start_s=0.6 * d, end_s=d, label="lift", confidence=0.8),
        ]
        message = "annotation needs review: 1 segment(s) below confidence 0.60, lowest 0.42; no grasp found"
        mark = Finding(code=CODE, severity=Severity.info, message=message, value=0.42)
        first = meta.model_copy(update={"segments": segments, "findings": [*meta.findings, mark]})
        other = ws.lake.read_meta(site.ids[1])
        warning = Finding(code="timing.gap", severity=Severity.warning, message="a 0.2 s gap", start_s=0.1, end_s=0.3)
        second = other.model_copy(update={"verdict": "needs_review", "findings": [*other.findings, warning]})
        for m in (first, second):
            ws.lake.write_meta(m)
        ws.catalog.update_episodes([first, second])
    return d


def _queue(site: Site) -> list[dict[str, Any]]:
    response = site.client.get("/api/review/queue", headers=site.auth("rita"))
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_the_queue_lists_needs_review_episodes_and_unsure_segments(site: Site) -> None:
    assert _queue(site) == []
    d = _annotate(site)
    items = {(i["episode"], i["kind"], i["segment"]): i for i in _queue(site)}
    assert set(items) == {
        (site.ids[0], "annotation", None),
        (site.ids[0], "annotation", 1),
        (site.ids[1], "episode", None),
    }
    marked = items[(site.ids[0], "annotation", None)]
    assert marked["reason"] == "no grasp found" and marked["label"] is None  # the unsure segment is an item of its own
    unsure = items[(site.ids[0], "annotation", 1)]
    assert (unsure["label"], unsure["confidence"], unsure["segment"]) == ("grasp", 0.42, 1)
    assert unsure["start_s"] == pytest.approx(0.3 * d) and "0.42" in unsure["reason"]
    flagged = items[(site.ids[1], "episode", None)]
    assert flagged["verdict"] == "needs_review" and "timing.gap" in flagged["reason"]
    assert (flagged["start_s"], flagged["end_s"], flagged["label"]) == (0.1, 0.3, None)
    stricter = site.client.get("/api/review/queue", params={"below": 0.85}, headers=site.auth("rita")).json()
    assert sorted(i["label"] for i in stricter["items"] if i["segment"] is not None) == ["grasp", "lift"]


def test_a_segment_edit_is_kept_with_who_and_when_everywhere(site: Site, cli: Any, tmp_path: Path) -> None:
    d = _annotate(site)
    url = f"/api/episodes/{site.ids[0]}/segments/1"
    body = {"start_s": 0.25 * d, "end_s": 0.65 * d, "label": "pinch", "reason": "the fingers close earlier"}
    response = site.client.patch(url, json=body, headers=site.auth("rita"))
    assert response.status_code == 200, response.text
    review = response.json()["review"]
    assert (review["decision"], review["segment"], review["label"], review["reviewer"]) == ("edit", 1, "pinch", "rita")
    assert "grasp" in review["reason"] and "earlier" in review["reason"]

    shown = cli("show", site.ids[0], "--lake", str(site.lake), "--json").json()
    edited = shown["segments"][1]
    assert (edited["label"], edited["source"], edited["annotator"], edited["confidence"]) == (
        "pinch",
        "human",
        "rita",
        1.0,
    )
    assert edited["start_s"] == pytest.approx(0.25 * d) and edited["annotated_at"].startswith(review["at"][:19])
    assert shown["segments"][0]["source"] == "auto" and shown["verdict"] == "unchecked"
    assert CODE not in {f["code"] for f in shown["findings"]}
    assert [i for i in _queue(site) if i["episode"] == site.ids[0]] == []

    trail = site.client.get(f"/api/episodes/{site.ids[0]}/reviews", headers=site.auth("vera")).json()
    assert [(r["decision"], r["segment"], r["label"]) for r in trail] == [("edit", 1, "pinch")]
    out = tmp_path / "annotations.json"
    assert cli("annotations", "export", "--out", str(out), "--lake", str(site.lake)).code == 0
    exported = next(e for e in json.loads(out.read_text())["episodes"] if e["id"] == site.ids[0])
    assert exported["segments"][1]["label"] == "pinch" and exported["segments"][1]["annotator"] == "rita"
    listed = cli("ls", "--lake", str(site.lake), "--json", "--where", f"id = {site.ids[0]}").json()["episodes"][0]
    assert listed["min_confidence"] == 0.8


def test_a_segment_edit_that_cannot_be_made_is_refused(site: Site) -> None:
    d = _annotate(site)
    url = f"/api/episodes/{site.ids[0]}/segments"
    for index, body, status in (
        (7, {"label": "x"}, 404),
        (1, {"end_s": 2 * d}, 400),
        (1, {"start_s": 0.5 * d, "end_s": 0.1 * d}, 422),
        (1, {"label": ""}, 422),
        (1, {"label": "x", "annotator": "rob"}, 422),
    ):
        response = site.client.patch(f"{url}/{index}", json=body, headers=site.auth("rita"))
        assert response.status_code == status and response.json()["detail"], (index, body, response.text)
    assert (
        site.client.patch(f"/api/episodes/{site.ids[2]}/segments/0", json={}, headers=site.auth("rita")).status_code
        == 404
    )
    trail = site.client.get(f"/api/episodes/{site.ids[0]}/reviews", headers=site.auth("vera")).json()
    assert trail == []


def test_cohens_kappa_computed_by_hand() -> None:
    # rater A: 6 accept, 4 reject; rater B: 7 accept, 3 reject; they agree on 7 of 10 items.
    a = ["accept"] * 6 + ["reject"] * 4
    b = ["accept"] * 5 + ["reject"] * 3 + ["accept"] * 2
    # p_o = 0.7; p_e = 0.6 * 0.7 + 0.4 * 0.3 = 0.54; kappa = (0.7 - 0.54) / (1 - 0.54) = 0.16 / 0.46
    assert kappa(list(zip(a, b, strict=True))) == pytest.approx(0.16 / 0.46)
    assert kappa([("accept", "accept")] * 4) is None  # chance agreement 1: undefined
    assert kappa([]) is None
    assert kappa([("accept", "reject"), ("reject", "accept")]) == pytest.approx(-1.0)
    rows = [("e1", "ann", "accept"), ("e1", "bob", "reject"), ("e1", "ann", "reject"), ("e2", "ann", "accept")]
    assert latest_decisions(rows) == {"e1": {"ann": "reject", "bob": "reject"}, "e2": {"ann": "accept"}}
    figures = agreement(latest_decisions(rows))
    assert (figures["items"], figures["agreeing"], figures["fraction"], figures["kappa"]) == (1, 1, 1.0, None)


def test_two_reviewers_give_an_agreement_figure(site: Site) -> None:
    decisions = [  # (episode, reviewer, decision): rita changes her mind on episode 2, her latest counts
        (0, "rita", "reject"),
        (0, "rob", "reject"),
        (1, "rita", "accept"),
        (1, "rob", "reject"),
        (2, "rita", "reject"),
        (2, "rob", "accept"),
        (2, "rita", "accept"),
    ]
    for episode, who, decision in decisions:
        url = f"/api/episodes/{site.ids[episode]}/reviews"
        assert site.client.post(url, json={"decision": decision}, headers=site.auth(who)).status_code == 201
    response = site.client.get("/api/review/agreement", headers=site.auth("max"))
    assert response.status_code == 200
    figures = response.json()
    # 3 items, 2 agree; rita: 2 accept 1 reject, rob: 1 accept 2 reject; p_e = 2/3*1/3 + 1/3*2/3 = 4/9
    assert (figures["kind"], figures["items"], figures["agreeing"]) == ("episode", 3, 2)
    assert figures["fraction"] == pytest.approx(2 / 3) and figures["kappa"] == pytest.approx((2 / 3 - 4 / 9) / (5 / 9))
    assert figures["pairs"] == [
        {
            "reviewers": ["rita", "rob"],
            "items": 3,
            "agreeing": 2,
            "fraction": figures["fraction"],
            "kappa": figures["kappa"],
        }
    ]
    assert site.client.get("/api/review/agreement", headers=site.auth("rita")).status_code == 403

    _annotate(site)
    for who in ("rita", "rob"):
        url = f"/api/episodes/{site.ids[0]}/segments/1"
        assert site.client.patch(url, json={"label": "pinch"}, headers=site.auth(who)).status_code == 200
    labels = site.client.get("/api/review/agreement", params={"kind": "annotation"}, headers=site.auth("max")).json()
    assert (labels["items"], labels["agreeing"], labels["kappa"]) == (1, 1, None)
