"""Decoders of raw ROS / MCAP messages, made once per schema.

ROS 2 CDR through ``mcap_ros2`` (``ros2msg`` schemas), JSON through ``json.loads`` into attribute-access namespaces,
protobuf through ``mcap_protobuf`` from the FileDescriptorSet the schema embeds, ROS 1 through ``rosbags`` from the
stored message definition (and ROS 2 standard types through ``rosbags`` when a bag stores no definition). Any other
message encoding (a bogus one) makes its channel undecodable with the reason, as does a schema that does not parse.
A ``ros2msg`` schema holding a ``.srv`` text (``request --- response``) is a service's events
(:mod:`robofuel.ingest.ros.services`). A stored CDR definition is checked against the channel's first message
(:func:`unread_bytes`): one that reads less than the message holds is replaced by the type's ROS 2 standard
definition, noted for an ``ingest.definition_mismatch`` finding (:meth:`Decoders.note_for`).
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from mcap.records import Schema

from robofuel.errors import describe_error
from robofuel.ingest.mcap.scan import ChannelData

Decode = Callable[[bytes], Any]
#: What a malformed message raises inside a mapping; it costs that message only.
MESSAGE_ERRORS = (ValueError, AttributeError, TypeError, IndexError, KeyError)


class Undecodable(Exception):
    """A channel whose messages cannot be decoded; the message is the reason."""


def _json_decode(data: bytes) -> Any:
    return json.loads(data, object_hook=lambda d: SimpleNamespace(**d))


class Decoders:
    """One decoder per (schema, encoding), made on first use; a failure is remembered as its reason."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, str], Decode | str] = {}
        self._factory: Any = None
        self._ros1_stores: list[Any] = []
        #: What is worth a finding about a decoder that was made (a stored definition replaced), by cache key.
        self._notes: dict[tuple[int, str], str] = {}
        #: ``mcap_ros2`` decoders of a stored definition, by cache key: their definitions once asked for (bulk).
        self._plain: dict[tuple[int, str], dict[str, Any] | None] = {}

    @staticmethod
    def _key(ch: ChannelData) -> tuple[int, str]:
        return (ch.schema.id if ch.schema is not None else 0, ch.message_encoding)

    def note_for(self, ch: ChannelData) -> str | None:
        """What ``ch``'s decoder is worth a finding for (its stored definition replaced), after :meth:`for_channel`."""
        return self._notes.get(self._key(ch))

    def definitions_for(self, ch: ChannelData) -> dict[str, Any] | None:
        """The message definitions ``ch``'s decoder reads with, when it is ``mcap_ros2``'s decoder of the stored
        ``ros2msg`` definition (what :mod:`robofuel.ingest.ros.cdr_bulk` mirrors); None for any other decoder.
        Call after :meth:`for_channel`."""
        key = self._key(ch)
        if key not in self._plain:
            return None
        if self._plain[key] is None and ch.schema is not None:
            from robofuel.ingest.ros.cdr_bulk import message_definitions

            try:
                self._plain[key] = message_definitions(ch.schema)
            except Exception:  # the decoder parsed it; a failure here only costs the bulk path
                del self._plain[key]
                return None
        return self._plain[key]

    def for_channel(self, ch: ChannelData) -> Decode:
        """The decoder of ``ch``'s messages; :class:`Undecodable` naming the reason when there is none."""
        key = self._key(ch)
        if key not in self._cache:
            try:
                self._cache[key] = self._make(ch)
            except Undecodable as exc:
                self._cache[key] = str(exc)
        found = self._cache[key]
        if isinstance(found, str):
            raise Undecodable(found)
        return found

    def _make(self, ch: ChannelData) -> Decode:
        if ch.message_encoding == "json":
            return _json_decode
        if ch.message_encoding == "ros1":
            return ros1_decoder(ch.schema, self._ros1_stores)
        if ch.message_encoding == "protobuf":
            return protobuf_decoder(ch.schema)
        if ch.message_encoding != "cdr":
            raise Undecodable(f"unsupported encoding {ch.message_encoding!r}")
        if ch.schema is None:
            raise Undecodable("CDR messages without a schema")
        if ch.schema.encoding == "" and not ch.schema.data:  # a rosbag2 sqlite3 bag that stores no definitions
            return standard_cdr_decoder(ch.type_name)
        if ch.schema.encoding != "ros2msg":
            raise Undecodable(f"unsupported schema encoding {ch.schema.encoding!r} (only ros2msg is)")
        if "---" in (line.strip() for line in ch.schema.data.decode(errors="replace").splitlines()):
            from robofuel.ingest.ros.services import service_event_decoder  # it imports this module

            return service_event_decoder(ch.schema)  # a .srv text (request --- response): a service's events
        from mcap_ros2.decoder import DecoderFactory

        self._factory = self._factory or DecoderFactory()
        try:
            with contextlib.redirect_stderr(io.StringIO()):  # the vendored msg parser prints its complaints
                decoder = self._factory.decoder_for("cdr", ch.schema)
        except Exception as exc:
            raise Undecodable(f"schema {ch.schema.name} does not parse ({describe_error(exc)})") from exc
        if decoder is None:
            raise Undecodable(f"no CDR decoder for schema {ch.schema.name}")
        return self._checked(ch, decoder)

    def _checked(self, ch: ChannelData, decoder: Decode) -> Decode:
        """``decoder`` if the stored definition reads the whole of the channel's first message; else the ROS 2
        standard definition of the type (noted for a finding), or :class:`Undecodable` for a type that has none."""
        assert ch.schema is not None
        data = ch.messages[0][1] if ch.messages else b""
        unread = unread_bytes(decoder, ch.schema, data)
        if unread is None or unread <= CDR_END_PADDING:
            self._plain[self._key(ch)] = None
            return decoder
        problem = (
            f"the stored definition of {ch.schema.name} reads {len(data) - unread} of the {len(data)} bytes of its "
            "first message: it is not the definition the messages were written with"
        )
        try:
            standard = standard_cdr_decoder(ch.type_name)
        except Undecodable:
            raise Undecodable(problem) from None
        self._notes[self._key(ch)] = f"{problem}; decoded by the ROS 2 standard definition of the type instead"
        return standard


#: Bytes CDR may add after a message's last field (alignment of the end); more left unread is a wrong definition.
CDR_END_PADDING = 8


def unread_bytes(decoder: Decode, schema: Schema, data: bytes) -> int | None:
    """Bytes of ``data`` (one CDR message) that ``schema``'s ``ros2msg`` definition leaves unread: the decoded
    message, encoded again with the definition, is that much shorter. None when it cannot be told (the message
    does not decode or does not encode again: then the definition is not doubted)."""
    from mcap_ros2._dynamic import serialize_dynamic  # the encoder mcap_ros2's own writer uses

    try:
        with contextlib.redirect_stderr(io.StringIO()):
            encoder = serialize_dynamic(schema.name, schema.data.decode())[schema.name]
        return len(data) - len(encoder(decoder(data)))
    except Exception:
        return None


def _full_type(name: str) -> str:
    """``pkg/Type`` or ``pkg/msg/Type`` -> ``pkg/msg/Type``, the name rosbags registers types under."""
    parts = name.split("/")
    return f"{parts[0]}/msg/{parts[-1]}" if len(parts) == 2 else name


def ros1_decoder(schema: Schema | None, stores: list[Any]) -> Decode:
    """A decoder of ROS 1 serialized messages from the full message definition a bag or MCAP stores.

    Types are registered in the first of ``stores`` (rosbags typestores, shared by the decoders of one file so
    that each type's code is generated once) whose definitions do not conflict; a new store is added when all do
    (two recorders may define one type differently)."""
    if schema is None or not schema.data:
        raise Undecodable("ROS 1 messages without a message definition")
    if schema.encoding not in ("ros1msg", ""):
        raise Undecodable(f"unsupported schema encoding {schema.encoding!r} for ROS 1 messages")
    from rosbags.typesys import Stores, TypesysError, get_types_from_msg, get_typestore

    name = _full_type(schema.name)
    try:
        types = get_types_from_msg(schema.data.decode("utf-8", "replace"), name)
    except Exception as exc:
        raise Undecodable(f"message definition of {schema.name} does not parse ({describe_error(exc)})") from exc
    for store in [*stores, None]:
        if store is None:
            store = get_typestore(Stores.EMPTY)
            stores.append(store)
        try:
            store.register(types)
        except TypesysError:
            continue
        except Exception as exc:
            raise Undecodable(f"message definition of {schema.name} is invalid ({describe_error(exc)})") from exc
        return _bound_ros1(store, name)
    raise AssertionError("unreachable: a fresh store accepts any parsed definition")


def _bound_ros1(store: Any, name: str) -> Decode:
    return lambda data: store.deserialize_ros1(data, name)


def protobuf_decoder(schema: Schema | None) -> Decode:
    """A decoder of protobuf messages from the FileDescriptorSet the MCAP schema embeds."""
    if schema is None or schema.encoding != "protobuf":
        raise Undecodable("protobuf messages without an embedded protobuf schema (FileDescriptorSet)")
    from mcap_protobuf.decoder import DecoderFactory as ProtobufDecoders

    try:
        decoder = ProtobufDecoders().decoder_for("protobuf", schema)
    except Exception as exc:
        raise Undecodable(f"protobuf schema {schema.name} does not load ({describe_error(exc)})") from exc
    if decoder is None:
        raise Undecodable(f"no protobuf decoder for schema {schema.name}")
    return decoder  # type: ignore[no-any-return]


def standard_cdr_decoder(type_name: str) -> Decode:
    """A CDR decoder for a ROS 2 standard type, for bags that store no definition (older rosbag2 sqlite3)."""
    from rosbags.typesys import Stores, get_typestore

    store = get_typestore(Stores.ROS2_HUMBLE)
    name = _full_type(type_name)
    if name not in store.fielddefs:
        raise Undecodable(f"no message definition stored for {type_name} and it is not a ROS 2 standard type")
    return lambda data: store.deserialize_cdr(data, name)
