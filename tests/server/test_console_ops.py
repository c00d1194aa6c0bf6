"""The operations API: managers and admins read the base's yield and cost and edit its registry one item at a time;
viewers and reviewers are refused; an edit that would make the base inconsistent changes nothing."""

from __future__ import annotations

from console_site import Site


def test_a_viewer_or_reviewer_cannot_see_operations(site: Site) -> None:
    for user in ("vera", "rita"):
        for path in ("/api/ops/base", "/api/ops/cost", "/api/ops/yield"):
            assert site.client.get(path, headers=site.auth(user)).status_code == 403
    assert site.client.get("/api/ops/cost").status_code == 401


def test_an_admin_edits_the_registry_one_item_at_a_time(site: Site) -> None:
    admin = site.auth("ada")
    r = site.client.put("/api/ops/stations/cell-1", json={"scene": "tabletop"}, headers=admin)
    assert r.status_code == 200, r.text
    device = {"mode": "wearable", "station": "cell-1", "price": 3500.0, "lifetime_hours": 4000.0}
    r = site.client.put("/api/ops/devices/rig-00", json=device, headers=admin)
    assert r.status_code == 200 and r.json()["id"] == "rig-00"
    base = site.client.get("/api/ops/base", headers=admin).json()
    assert [d["id"] for d in base["devices"]] == ["rig-00"] and base["devices"][0]["price"] == 3500.0
    # a device at a station that does not exist: refused, the stored device unchanged
    r = site.client.put("/api/ops/devices/rig-00", json={**device, "station": "nowhere"}, headers=admin)
    assert r.status_code == 422 and "nowhere" in r.text
    assert site.client.get("/api/ops/base", headers=admin).json()["devices"][0]["station"] == "cell-1"
    r = site.client.put("/api/ops/devices/rig-00", json={**device, "id": "rig-99"}, headers=admin)
    assert r.status_code == 422
    assert site.client.put("/api/ops/robots/x", json={}, headers=admin).status_code == 404
    assert site.client.delete("/api/ops/devices/rig-00", headers=admin).status_code == 204
    assert site.client.delete("/api/ops/devices/rig-00", headers=admin).status_code == 404


def test_yield_and_cost_documents_are_the_clis(site: Site) -> None:
    admin = site.auth("ada")
    gates = site.client.get("/api/ops/yield", headers=admin).json()["gates"]
    assert [g["name"] for g in gates] == ["raw", "ingested", "synced", "qualified", "kept", "released"]
    assert gates[1]["episodes"] == len(site.ids)
    cost = site.client.get("/api/ops/cost", headers=admin).json()
    assert {"cost_per_effective_hour", "by_mode", "by_driver", "sensitivity"} <= set(cost)


def test_the_dashboard_shows_campaign_targets_once_a_base_has_them(site: Site) -> None:
    admin = site.auth("ada")
    assert site.client.get("/api/dashboard", headers=admin).json()["campaigns"] == []
    campaign = {"deadline": "2027-06-30", "targets": [{"task": "pick", "hours": 2.0}]}
    assert site.client.put("/api/ops/campaigns/c1", json=campaign, headers=admin).status_code == 200
    (row,) = site.client.get("/api/dashboard", headers=site.auth("vera")).json()["campaigns"]  # a viewer sees it
    assert row["campaign"] == "c1" and row["target_hours"] == 2.0 and row["deadline"] == "2027-06-30"
    assert row["effective_hours"] == 0.0 and row["fraction"] == 0.0  # the site's episodes are of no task "pick"
