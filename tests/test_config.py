"""Config validation, one way (robofuel.config): pydantic models, errors as 'FILE: key: what is wrong; what to do'."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import Field, model_validator

from robofuel.config import ConfigModel, problem, validate
from robofuel.errors import InputError
from robofuel.steps.registry import BUILTIN, get_step


class _Inner(ConfigModel):
    unit: str | None = Field(None, json_schema_extra={"example": 'unit = "rad"'})
    rate_hz: float = Field(10.0, gt=0)


class _Outer(ConfigModel):
    name: str
    items: list[_Inner] = Field(default_factory=list)
    inner: _Inner = Field(default_factory=_Inner)

    @model_validator(mode="after")
    def _named(self) -> "_Outer":
        if self.name == "nothing":
            raise problem("name", "names nothing", 'write name = "joints"')
        return self


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "f.toml: name: missing; add name"),
        ({"name": 3}, "f.toml: name: must be a string, got 3;"),
        ({"name": "a", "colour": 1}, "f.toml: colour: unknown key; use one of: name, items, inner"),
        (
            {"name": "a", "items": [{}, {"unit": 3}]},
            'f.toml: items[1].unit: must be a string, got 3; write e.g. unit = "rad"',
        ),
        (
            {"name": "a", "inner": {"rate_hz": "fast"}},
            "f.toml: inner.rate_hz: must be a number, got 'fast'; write e.g. rate_hz = 10.0",
        ),
        (
            {"name": "a", "inner": {"rate_hz": 0}},
            "f.toml: inner.rate_hz: must be a number > 0, got 0; write e.g. rate_hz = 10.0",
        ),
        ({"name": "a", "inner": {"rate": 1}}, "f.toml: inner.rate: unknown key; use one of: unit, rate_hz"),
        ({"name": "nothing"}, 'f.toml: name: names nothing; write name = "joints"'),
    ],
)
def test_errors_name_file_key_and_fix(data: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError) as err:
        validate(_Outer, data, "f.toml")
    assert str(err.value).startswith(message)


def test_a_table_inside_a_file_has_its_prefix() -> None:
    with pytest.raises(InputError, match=r"^f\.toml: split\.inner\.unit: must be a string"):
        validate(_Outer, {"name": "a", "inner": {"unit": 1}}, "f.toml", "split")


def test_an_int_is_a_float_but_a_string_is_not_a_number() -> None:
    assert validate(_Inner, {"rate_hz": 3}, "f.toml").rate_hz == 3.0
    with pytest.raises(InputError, match="must be a number, got '3'"):
        validate(_Inner, {"rate_hz": "3"}, "f.toml")


#: Config hashes of each step's default config before the configs became models (cache keys: they must not change).
DEFAULT_HASHES = {
    "annotate": "329265a95a57ccdb",
    "clean": "e08c32d1df4351e4",
    "hand_pose": "b70879c0fa149a83",  # hand_pose@1 with depth_window_s (0.5 s): its cache key from now on
    "playable": "c868cfeef91e08cd",  # new in playable@1 (its cache key from now on)
    "privacy": "717a8cc49c94c09b",  # privacy@1 with detector yunet, blur_strength 0.3: its cache key from now on
    "profile": "13a720f3c5024732",
    "qc": "65d03bbad65e3dea",
    "retarget": "a9bf7b4fd2d16434",
    "sync": "e39972e649c640af",
}


def test_default_step_config_hashes_are_unchanged() -> None:
    assert {name: get_step(name).config_hash for name in BUILTIN} == DEFAULT_HASHES
    assert get_step("clean", {"pad_s": 1}).config_hash == "9766bbc03f8958f6"  # values kept as given (1, not 1.0)
    qc = get_step("qc", {"config": {"thresholds": {"min_duration_s": 3}}})
    assert qc.config_hash == "b3b94ea0f4fb4963"


@pytest.mark.parametrize(
    ("name", "config", "message"),
    [
        ("sync", {"rate_hz": "fast"}, "step sync: rate_hz: must be a number, got 'fast'; write e.g. rate_hz = 200.0"),
        ("clean", {"padding": 1}, "step clean: padding: unknown key; use one of: "),
        ("retarget", {"offset": [1.0, 2.0]}, "step retarget: offset: must have at least 3 items, got [1.0, 2.0]"),
        ("retarget", {"anchor": "wrist"}, "step retarget: anchor: must be one of 'finger', 'palm', got 'wrist'"),
        ("qc", {"config": {"task": {"t": {"idle_s": "3"}}}}, "step qc: config.task.t.idle_s: must be a number"),
    ],
)
def test_a_bad_step_config_names_the_step_and_key(name: str, config: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError) as err:
        get_step(name, config)
    assert str(err.value).startswith(message)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[thresholds]\nmin_duration_s = "2 s"\n',
            "thresholds.min_duration_s: must be a number, got '2 s'; write e.g. min_duration_s = 2.0",
        ),
        ("[thresholds]\nmin_duration = 2.0\n", "thresholds.min_duration: unknown key; use one of: "),
        ('[embodiment.ur5]\nrequired_roles = "joint_position"\n', "embodiment.ur5.required_roles: must be an array"),
        ("[thresholds]\ndropped_frames_blocking = 2.5\n", "thresholds.dropped_frames_blocking: must be an integer"),
        ("[threshold]\nidle_s = 1.0\n", "threshold: unknown key; use one of: thresholds, embodiment, task"),
    ],
)
def test_qc_config_errors_exit_2_naming_file_and_key(cli: Any, tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "qc.toml"
    config.write_text(text)
    r = cli("qc", "--config", str(config), "--lake", str(tmp_path / "lake"))
    assert r.code == 2 and f"{config}: {message}" in r.err.replace("\n", " ") and "Traceback" not in r.err


def test_step_config_file_errors_exit_2_naming_file_and_key(cli: Any, tmp_path: Path) -> None:
    config = tmp_path / "steps.toml"
    config.write_text("[sync]\nmax_lag_s = [0.5]\n")
    r = cli("process", "--config", str(config), "--lake", str(tmp_path / "lake"))
    assert r.code == 2 and f"{config}: sync.max_lag_s: must be a number, got [0.5]" in r.err.replace("\n", " ")
    config.write_text("[qc.thresholds]\nidle = 1.0\n")
    r = cli("process", "--config", str(config), "--lake", str(tmp_path / "lake"))
    assert r.code == 2 and f"{config}: qc.thresholds.idle: unknown key" in r.err.replace("\n", " ")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[streams]]\nname = "a"\nunit = 3\n', 'streams[0].unit: must be a string, got 3; write e.g. unit = "rad"'),
        ('[episode]\noperater = "x"\n', "episode.operater: unknown key; use one of: operator, station"),
        ('[split]\nby = "window"\n', 'split.window_s: missing; by = "window" needs it: write window_s = 30.0'),
        ("[split]\ngap_s = 2.0\n", 'split.by: missing; write e.g. by = "gap"'),
    ],
)
def test_mapping_file_errors_exit_2_naming_file_and_key(cli: Any, tmp_path: Path, text: str, message: str) -> None:
    mapping = tmp_path / "map.toml"
    mapping.write_text(text)
    rec = tmp_path / "x.csv"
    rec.write_text("t,x\n0,1\n1,2\n")
    r = cli("ingest", str(rec), "--map", str(mapping), "--lake", str(tmp_path / "lake"))
    assert r.code == 2 and f"{mapping}: {message}" in " ".join((r.out + r.err).split()) and "Traceback" not in r.err


def test_a_step_without_a_model_checks_its_default_config_keys() -> None:
    from robofuel.standard import EpisodeData
    from robofuel.steps.base import Step, StepOutput

    class Plugin(Step):
        name = "plugin"
        version = "1"
        default_config: ClassVar[Mapping[str, Any]] = {"window_s": 1.0}

        def run(self, data: EpisodeData) -> StepOutput:
            raise NotImplementedError

    assert Plugin({"window_s": "any value"}).config == {"window_s": "any value"}
    with pytest.raises(InputError, match=r"^step plugin: window: unknown key; use one of: window_s"):
        Plugin({"window": 2.0})
