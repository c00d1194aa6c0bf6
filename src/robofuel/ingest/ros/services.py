"""ROS 2 service events (service introspection, ``<service>/_service_event`` topics): decoding them.

rosbag2 records a service's calls as messages of type ``<pkg>/srv/<Name>_Event``, but stores the service's ``.srv``
text as the schema (``request --- response``, then its dependencies after ``===`` lines), not the definition of the
event message itself. That message is (``service_msgs/msg/ServiceEventInfo`` and the two sequences)::

    service_msgs/ServiceEventInfo info   # event_type (uint8), stamp (Time), client_gid (char[16]), sequence_number
    <pkg>/<Name>_Request[<=1] request    # empty unless the introspection level is "contents"
    <pkg>/<Name>_Response[<=1] response

so :func:`event_definition` rebuilds it from the ``.srv`` text, and :func:`service_event_decoder` decodes with it.
A message that does not decode against it (a ROS distribution with another ``ServiceEventInfo``), or a schema that
does not parse, is kept anyway as an :class:`UndecodedEvent` naming its type and size, never dropped.
"""

from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mcap.records import Schema

from robofuel.errors import describe_error

if TYPE_CHECKING:
    from robofuel.ingest.ros.decoders import Decode

#: ``service_msgs/msg/ServiceEventInfo`` (ROS 2 Iron and later); ``char`` is a uint8 in ROS 2.
EVENT_INFO = """uint8 event_type
builtin_interfaces/Time stamp
uint8[16] client_gid
int64 sequence_number"""
#: ``ServiceEventInfo.event_type`` values, by name.
EVENT_TYPES = ("request_sent", "request_received", "response_sent", "response_received")
_SEPARATOR = "=" * 80


@dataclass
class UndecodedEvent:
    """A service event kept without its content: the type it was declared as, its size in bytes and why."""

    type: str
    size: int
    reason: str


def is_service_event(type_name: str, topic: str = "") -> bool:
    """A service event topic's type (``pkg/srv/Name_Event``), or any ``*_Event`` on a ``/_service_event`` topic."""
    return ("/srv/" in type_name and type_name.endswith("_Event")) or (
        topic.endswith("/_service_event") and type_name.endswith("_Event")
    )


def event_type(schema_name: str) -> str:
    """The name the rebuilt definition gives ``pkg/srv/Name_Event``: ``pkg/msg/NameEvent`` (the message parser
    takes no underscore in a type name); its parts are ``pkg/NameRequest`` and ``pkg/NameResponse``."""
    package, name = schema_name.split("/")[0], schema_name.split("/")[-1].removesuffix("_Event")
    return f"{package}/msg/{name}Event"


def event_definition(schema_name: str, srv_text: str) -> str:
    """The full ``ros2msg`` definition of :func:`event_type` of ``schema_name`` (``pkg/srv/Name_Event``) from its
    ``.srv`` schema text.

    ValueError when the text has no ``---`` line between request and response."""
    parts = re.split(r"^={3,}\s*$", srv_text, maxsplit=1, flags=re.MULTILINE)
    lines = parts[0].splitlines()
    if "---" not in (line.strip() for line in lines):
        raise ValueError("no '---' line between request and response")
    cut = [line.strip() for line in lines].index("---")
    request, response = "\n".join(lines[:cut]), "\n".join(lines[cut + 1 :])
    package, name = schema_name.split("/")[0], schema_name.split("/")[-1].removesuffix("_Event")
    top = f"service_msgs/ServiceEventInfo info\n{name}Request[<=1] request\n{name}Response[<=1] response"
    sections = [
        top,
        f"MSG: service_msgs/ServiceEventInfo\n{EVENT_INFO}",
        f"MSG: {package}/{name}Request\n{request}",
        f"MSG: {package}/{name}Response\n{response}",
    ]
    if len(parts) > 1:
        sections.append(parts[1].strip("\n"))
    return f"\n{_SEPARATOR}\n".join(sections)


def _undecoded(type_name: str, reason: str) -> Decode:
    return lambda data: UndecodedEvent(type_name, len(data), reason)


def service_event_decoder(schema: Schema) -> Decode:
    """A decoder of one service event topic's CDR messages; a message (or a whole schema) that does not decode
    gives an :class:`UndecodedEvent` with the reason."""
    try:
        text = event_definition(schema.name, schema.data.decode("utf-8", "replace"))
        from mcap_ros2.decoder import DecoderFactory

        full = Schema(id=schema.id, name=event_type(schema.name), encoding="ros2msg", data=text.encode())
        with contextlib.redirect_stderr(io.StringIO()):  # the vendored msg parser prints its complaints
            decoder = DecoderFactory().decoder_for("cdr", full)
    except Exception as exc:
        return _undecoded(schema.name, f"the service definition does not parse ({describe_error(exc)})")
    if decoder is None:
        return _undecoded(schema.name, "no CDR decoder for the service definition")

    def decode(data: bytes) -> Any:
        try:
            return decoder(data)
        except Exception as exc:
            return UndecodedEvent(schema.name, len(data), f"does not decode as a service event ({describe_error(exc)})")

    return decode
