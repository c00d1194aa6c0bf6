"""The csv reader: dialects, time columns and units, rates, the mapping's [table], damage, and real IMU/Aria files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from robofuel.errors import InputError, UnreadableRecording
from robofuel.ingest import ReadContext, ReadResult, detect, get_reader
from robofuel.ingest.base import check_metadata_keys
from robofuel.ingest.mapping.apply import apply_mapping, load_mapping
from robofuel.standard import EpisodeData

SHA = "c" * 64


def read(path: Path, mapping_text: str | None = None, **metadata: str) -> ReadResult:
    mapping = None
    if mapping_text is not None:
        (path.parent / "map.toml").write_text(mapping_text)
        mapping = load_mapping(path.parent / "map.toml")
    ctx = ReadContext(path, SHA, dict(metadata), mapping)
    result = get_reader("csv").read(path, ctx)
    return apply_mapping(result, mapping, ctx) if mapping is not None else result


def only(result: ReadResult) -> EpisodeData:
    assert len(result.episodes) == 1
    return result.episodes[0]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def test_euroc_comment_header_in_ns_is_detected_and_read_exactly(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "data.csv",
        "#timestamp [ns],w_RS_S_x [rad s^-1],a_RS_S_x [m s^-2]\n"
        "1403715524907143168,0.1,9.8\n1403715524912143104,0.2,9.7\n1403715524917143040,0.3,9.6\n",
    )
    assert detect(path) is not None and detect(path).name == "csv"  # type: ignore[union-attr]
    ep = only(read(path))
    data = ep.numeric("data")
    assert data.timestamps_ns.tolist() == [1403715524907143168, 1403715524912143104, 1403715524917143040]
    stream = ep.meta.streams[0]
    assert stream.columns == ["w_RS_S_x", "a_RS_S_x"] and stream.column_units["w_RS_S_x"] == "rad s^-1"
    assert ep.meta.extra["table"]["time_unit"] == "ns" and ep.meta.extra["time_base"] == "unix"


def test_semicolon_with_decimal_commas_and_seconds_in_the_header(tmp_path: Path) -> None:
    path = write(tmp_path, "ft.csv", "Time (s);Fx (N);Fy (N)\r\n0,000;1,5;2\r\n0,001;1,25;2\r\n0,002;1;2\r\n")
    ep = only(read(path))
    assert ep.numeric("ft").timestamps_ns.tolist() == [0, 1_000_000, 2_000_000]
    assert ep.numeric("ft").values[:, 0].tolist() == [1.5, 1.25, 1.0]
    assert ep.meta.streams[0].column_units == {"Fx": "N", "Fy": "N"}


def test_bare_whitespace_table_takes_a_rising_first_column_as_time_and_says_how(tmp_path: Path) -> None:
    rows = "".join(f"{1000 + 20 * i} {i * 0.5:.2f} {-i}\n" for i in range(6))  # integer step 20: ms at 50 Hz
    result = read(write(tmp_path, "log.txt", rows))
    ep = only(result)
    assert ep.numeric("log").timestamps_ns[1] - ep.numeric("log").timestamps_ns[0] == 20_000_000
    codes = [f.code for f in result.report.findings]
    assert codes == ["timing.assumed_unit"] and "ms" in result.report.findings[0].message


def test_a_table_without_time_or_rate_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = write(tmp_path, "raw.txt", "5 3 1\n4 2 2\n6 1 3\n")  # first column not rising: not time
    with pytest.raises(UnreadableRecording) as err:
        read(path)
    assert str(path) in str(err.value) and "rate_hz" in str(err.value)
    check_metadata_keys({"rate_hz": "100"})  # a read option --set accepts, not episode metadata
    ep = only(read(path, rate_hz="100"))
    assert ep.numeric("raw").timestamps_ns.tolist() == [0, 10_000_000, 20_000_000]
    assert "rate_hz" not in ep.meta.extra
    assert ep.numeric("raw").values.shape == (3, 3)


def test_a_rate_in_a_comment_times_the_rows_with_an_info_finding(tmp_path: Path) -> None:
    text = "// Sample rate: 50.0Hz\nCounter\tAcc_X\tAcc_Y\t\n10\t0.1\t0.2\t\n11\t0.1\t0.2\t\n12\t0.1\t0.2\t\n"
    result = read(write(tmp_path, "xsens.txt", text))
    data = only(result).numeric("xsens")
    assert data.timestamps_ns.tolist() == [0, 20_000_000, 40_000_000] and data.values.shape == (3, 3)
    assert [f.code for f in result.report.findings] == ["timing.assumed_rate"]


def test_text_and_empty_columns_are_left_out_and_counted(tmp_path: Path) -> None:
    text = 'uid,t_us,x,depth,word\nab,100,1,,"a,b"\nab,200,2,,c\nab,300,3,,d\n'
    result = read(write(tmp_path, "gaze.csv", text))
    ep = only(result)
    assert ep.meta.streams[0].columns == ["x"]
    assert ep.numeric("gaze").timestamps_ns.tolist() == [100_000, 200_000, 300_000]
    assert result.report.skipped["gaze.csv: text column uid"] == 3
    assert result.report.skipped["gaze.csv: column depth (not provided: every cell empty)"] == 3


def test_bad_lines_are_skipped_with_a_blocking_finding_and_a_cut_end_is_truncation(tmp_path: Path) -> None:
    result = read(write(tmp_path, "a.csv", "t_ns,x\n1,1\n2,oops\n3,3\n4,"))
    ep = only(result)
    assert ep.numeric("a").timestamps_ns.tolist() == [1, 3]
    assert [f.code for f in result.report.findings] == ["ingest.truncated"]
    assert result.report.undecodable["a.csv: unparsable line"] == 2


def test_the_mapping_names_time_and_unit_and_groups_columns_into_streams_with_roles(tmp_path: Path) -> None:
    path = write(tmp_path, "rig.csv", "stamp,fx,fy,fz,px,py,temp\n1,1,2,3,4,5,20\n2,1,2,3,4,5,20\n3,1,2,3,4,5,20\n")
    mapping = """
[table]
time = "stamp"
time_unit = "ms"
[table.streams]
wrench = ["fx", "fy", "fz", "absent"]
pos = "px"
[[streams]]
name = "wrench"
role = "wrench"
unit = "N"
frame = "sensor"
"""
    result = read(path, mapping)
    ep = only(result)
    by_name = {s.name: s for s in ep.meta.streams}
    assert set(by_name) == {"wrench", "pos", "rig"}  # the columns left over stay, in the file's stream
    assert by_name["wrench"].role == "wrench" and by_name["wrench"].unit == "N"
    assert by_name["rig"].columns == ["py", "temp"]
    assert ep.numeric("wrench").timestamps_ns.tolist() == [1_000_000, 2_000_000, 3_000_000]
    assert any(f.code == "mapping.unmatched" and "absent" in f.message for f in result.report.findings)


def test_mapping_table_errors_name_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[table]\ntime = "t"\nrate_hz = 10.0\n')
    with pytest.raises(InputError, match=r"table\.rate_hz"):
        load_mapping(bad)
    bad.write_text('[table]\ntime = "t"\ntime_unit = "hours"\n')
    with pytest.raises(InputError, match=r"table\.time_unit"):
        load_mapping(bad)
    path = write(tmp_path, "x.csv", "t,x\n1,2\n2,3\n")
    with pytest.raises(InputError, match="rate_hz"):
        read(path, rate_hz="fast")


def test_sniff_takes_numeric_tables_only_and_leaves_folders_to_their_readers(
    tmp_path: Path, wearable_rec: object
) -> None:
    csv = get_reader("csv")
    assert not csv.sniff(write(tmp_path, "LICENSE.txt", "MIT License\n\nPermission is hereby granted\n"))
    assert not csv.sniff(write(tmp_path, "settings.json", '{"a": 1}\n'))
    assert not csv.sniff(tmp_path)
    assert not csv.sniff(tmp_path / "missing.csv")
    folder = wearable_rec.path  # type: ignore[attr-defined]
    assert detect(folder).name == "wearable"  # type: ignore[union-attr]


# --- real files ------------------------------------------------------------------------------------------------------


def test_real_xio_gait_log_is_read_at_400_hz_in_seconds(shared_data: Path) -> None:
    ep = only(read(shared_data / "imu_xio_gait" / "short_walk.csv"))
    stream = ep.meta.streams[0]
    assert stream.count == 16539 and 395 < (stream.measured_rate_hz or 0) < 405
    assert stream.column_units["Gyroscope X"] == "deg/s" and stream.column_units["Accelerometer Z"] == "g"
    assert ep.meta.extra["table"]["time_unit"] == "s"


def test_real_imu_exports_of_several_makers(shared_data: Path) -> None:
    base = shared_data / "imu_skinematics"
    yei = only(read(base / "data_yei.txt"))
    assert yei.meta.extra["table"]["time"] == "ChipTimeUS" and yei.meta.extra["table"]["time_unit"] == "us"
    assert 105 < (yei.meta.streams[0].measured_rate_hz or 0) < 115
    xsens = only(read(base / "data_xsens.txt"))
    assert xsens.meta.extra["table"]["rate_hz"] == 50.0 and xsens.meta.streams[0].count == 953
    xio3 = only(read(base / "data_xio3" / "Inertial.csv"))
    assert xio3.meta.extra["table"]["time_unit"] == "us" and xio3.meta.streams[0].count == 500
    with pytest.raises(UnreadableRecording, match="rate_hz"):
        read(base / "data_polulu.txt")


def test_real_aria_mps_eye_gaze_and_trajectory(shared_data: Path) -> None:
    base = shared_data / "egocentric_aria_csv" / "mps_sample"
    gaze = read(base / "eye_gaze" / "generalized_eye_gaze.csv")
    ep = only(gaze)
    assert ep.meta.extra["table"]["time"] == "tracking_timestamp_us"
    assert "depth_m" not in ep.meta.streams[0].columns and "yaw_rads_cpf" in ep.meta.streams[0].columns
    assert any("session_uid" in k for k in gaze.report.skipped)
    traj = only(read(base / "trajectory" / "closed_loop_trajectory.csv"))
    ts = traj.numeric("closed_loop_trajectory").timestamps_ns
    assert len(ts) == 11517 and ts[0] == 149_202_610_000 and 990_000 <= np.median(np.diff(ts)) <= 1_010_000


def test_an_iso_8601_text_column_is_time_and_a_text_first_cell_is_no_header(tmp_path: Path) -> None:
    text = "20111104T014428.936763,1,2.5\n20111104T014428.946763,1,2.6\n20111104T014428.956763,2,2.7\n"
    result = read(write(tmp_path, "points.csv", text))
    data = only(result).numeric("points")
    assert data.values.shape == (3, 2) and data.timestamps_ns[0] == 1320371068936763000
    assert data.timestamps_ns[1] - data.timestamps_ns[0] == 10_000_000
    assert [f.code for f in result.report.findings] == ["timing.assumed_timezone"]
