"""Cost per effective hour and the gates' yield, against numbers computed by hand on a small base."""

from __future__ import annotations

import pytest

from robofuel.ops.cost import cost_report, episode_costs
from robofuel.ops.facts import EpisodeFacts, group_facts
from robofuel.ops.model import Base, Costs, Device, Operator, Shift


def fact(
    eid: str,
    device: str,
    operator: str,
    day: str,
    hours: float,
    verdict: str,
    kept: float | None = None,
    task: str = "pick",
    scene: str = "s1",
    causes: tuple[str, ...] = (),
) -> EpisodeFacts:
    return EpisodeFacts(
        id=eid,
        devices=(device,),
        operator=operator,
        station="st",
        scene=scene,
        task=task,
        embodiment="franka_panda",
        day=day,
        hours=hours,
        verdict=verdict,
        kept_hours=hours if kept is None else kept,
        causes=causes,
        synced=True,
    )


BASE = Base(
    costs=Costs(consumables_per_hour=2.0, rejected_hour_cost=10.0),
    shifts=[Shift(id="day", hours=8.0)],
    devices=[
        Device(id="arm", mode="teleop", price=8000.0, lifetime_hours=1000.0, maintenance_per_hour=1.0),
        Device(id="rig", mode="wearable", price=1000.0, lifetime_hours=500.0),
    ],
    operators=[Operator(id="ann", hourly_cost=20.0), Operator(id="bob", hourly_cost=10.0)],
)

FACTS = [
    # ann, day 1, on the arm: 2 h qualified (1.5 h kept) and 2 h rejected -> one paid shift shared 50/50
    fact("e1", "arm", "ann", "2027-01-04", 2.0, "qualified", kept=1.5),
    fact("e2", "arm", "ann", "2027-01-04", 2.0, "rejected", causes=("physical.force_spike",)),
    # bob, day 1, on the rig: 4 h qualified, all kept
    fact("e3", "rig", "bob", "2027-01-04", 4.0, "qualified"),
]


def test_each_episode_carries_its_devices_labour_consumables_and_rejection() -> None:
    e1, e2, e3 = episode_costs(BASE, FACTS)
    # arm: 8000/1000 = 8 per hour depreciation, 1 per hour maintenance; ann's shift 8 h x 20 = 160 shared by hours
    assert e1.parts == pytest.approx(
        {"depreciation": 16.0, "maintenance": 2.0, "labour": 80.0, "consumables": 4.0, "rejected": 0.0}
    )
    assert e2.parts == pytest.approx(
        {"depreciation": 16.0, "maintenance": 2.0, "labour": 80.0, "consumables": 4.0, "rejected": 20.0}
    )
    # rig: 1000/500 = 2 per hour; bob's shift 8 h x 10 = 80, all on e3
    assert e3.parts == pytest.approx(
        {"depreciation": 8.0, "maintenance": 0.0, "labour": 80.0, "consumables": 8.0, "rejected": 0.0}
    )
    assert (e1.mode, e3.mode) == ("teleop", "wearable")


def test_cost_per_effective_hour_by_mode_and_the_loss() -> None:
    doc = cost_report(BASE, FACTS)
    total = 102 + 122 + 96
    assert doc["total_cost"] == pytest.approx(total)
    assert doc["effective_hours"] == pytest.approx(5.5)
    assert doc["cost_per_effective_hour"] == pytest.approx(total / 5.5, abs=1e-3)
    assert doc["by_mode"] == pytest.approx({"teleop": 224 / 1.5, "wearable": 96 / 4.0}, abs=1e-3)
    # e1 loses a quarter (trimmed), e2 all of it, e3 nothing
    assert doc["loss"] == pytest.approx(102 * 0.25 + 122)
    assert doc["by_driver"]["rejected"] == pytest.approx(20.0)
    # efficiency: effective hours per paid operator hour (one 8-h shift each)
    assert doc["modes"]["teleop"]["effective_per_operator_hour"] == pytest.approx(1.5 / 8)
    assert doc["modes"]["wearable"]["effective_per_operator_hour"] == pytest.approx(4.0 / 8)
    assert doc["claim"]["cost_ratio"] == pytest.approx((96 / 4.0) / (224 / 1.5), abs=1e-3)
    assert doc["claim"]["efficiency_ratio"] == pytest.approx(4.0 / 1.5, abs=1e-3)


def test_sensitivity_is_the_share_of_each_driver() -> None:
    doc = cost_report(BASE, FACTS)
    elasticity = {row["input"]: row["elasticity"] for row in doc["sensitivity"]}
    total = 320.0
    assert elasticity["wages"] == pytest.approx(240 / total, abs=1e-3)  # labour is 3/4 of the cost
    assert elasticity["device prices and maintenance"] == pytest.approx((16 + 2 + 16 + 2 + 8) / total, abs=1e-3)
    assert elasticity["yield (effective hours)"] == pytest.approx(1 / 1.1 / 0.1 - 10, abs=1e-3)  # -0.909


def test_paid_share_of_recording_replaces_the_shift_when_given() -> None:
    base = BASE.model_copy(update={"costs": Costs(recording_fraction=0.5)})
    e1, _, e3 = episode_costs(base, FACTS)
    assert e1.parts["labour"] == pytest.approx(2.0 / 0.5 * 20.0)
    assert e3.parts["labour"] == pytest.approx(4.0 / 0.5 * 10.0)


def test_unregistered_devices_and_operators_are_named_not_priced() -> None:
    facts = [*FACTS, fact("e4", "ghost-cam", "zed", "2027-01-05", 1.0, "qualified")]
    doc = cost_report(BASE, facts)
    assert doc["unregistered"] == {"devices": ["ghost-cam"], "operators": ["zed"]}
    assert doc["by_mode"]["unknown"] == pytest.approx(2.0)  # consumables only


def test_utilisation_per_operator() -> None:
    rows = {r["operator"]: r for r in group_facts(FACTS, "operator", 8.0)}
    assert rows["ann"]["hours"] == pytest.approx(4.0) and rows["ann"]["utilisation"] == pytest.approx(0.5)
    assert rows["ann"]["qualification_rate"] == pytest.approx(0.5)
    assert rows["bob"]["effective_hours"] == pytest.approx(4.0)
