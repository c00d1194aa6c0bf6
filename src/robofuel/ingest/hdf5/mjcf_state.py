"""Which columns of a robosuite / robomimic state row hold which MuJoCo joints.

A robosuite demo stores its simulator state per step as one row ``[time, qpos..., qvel...]`` and the scene as MJCF
XML (the reader keeps it in ``meta.extra["model_file"]``). A joint's position starts at its ``qpos`` address, which
is the sum of the position sizes of the joints before it in document order (free 7, ball 4, slide and hinge 1).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

#: Entries of ``qpos`` per joint type (MuJoCo's ``nq`` per joint).
QPOS_SIZE = {"free": 7, "ball": 4, "slide": 1, "hinge": 1}


def qpos_columns(model_xml: str, part: str) -> list[int]:
    """State-row columns (1 + qpos address) of the first position entry of each joint whose name holds ``part``, in
    document order; a free joint's 7 entries (x, y, z, then the quaternion) start at the column given."""
    body = ET.fromstring(model_xml).find("worldbody")
    address, out = 0, []
    for el in body.iter() if body is not None else []:
        if el.tag in ("joint", "freejoint"):
            kind = "free" if el.tag == "freejoint" else (el.get("type") or "hinge")
            if part in (el.get("name") or ""):
                out.append(1 + address)
            address += QPOS_SIZE[kind]
    return out
