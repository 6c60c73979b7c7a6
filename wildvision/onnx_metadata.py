"""Read and replace an ONNX model's metadata without the ``onnx`` package or torch.

An ONNX file is a protobuf ``ModelProto``; its ``metadata_props`` (field 14) hold key/value
strings such as ``wildvision.spec``. A message type that declares only that field parses the
whole file: protobuf keeps every other field (the graph, its weights, the opsets) as
unknown fields and writes their bytes back unchanged. So the weights stay byte for byte what
they were, and the inference install (onnxruntime already depends on ``protobuf``) can write
a new operating point into a model file.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError

from .errors import ModelError

#: ``ModelProto.metadata_props`` in onnx.proto.
METADATA_FIELD = 14
_PACKAGE = "wildvision_onnx_metadata"


@cache
def _model_class() -> Any:
    """A protobuf message class with ONNX's ``metadata_props`` field and nothing else."""
    file = descriptor_pb2.FileDescriptorProto(
        name=f"{_PACKAGE}.proto", package=_PACKAGE, syntax="proto2"
    )
    entry = file.message_type.add(name="StringStringEntryProto")
    for number, name in ((1, "key"), (2, "value")):
        entry.field.add(
            name=name,
            number=number,
            type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
            label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
        )
    model = file.message_type.add(name="ModelMetadata")
    model.field.add(
        name="metadata_props",
        number=METADATA_FIELD,
        type=descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE,
        label=descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED,
        type_name=f".{_PACKAGE}.StringStringEntryProto",
    )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    descriptor = pool.FindMessageTypeByName(f"{_PACKAGE}.ModelMetadata")
    return message_factory.GetMessageClass(descriptor)


def _parse(data: bytes, where: str) -> Any:
    message = _model_class()()
    try:
        message.ParseFromString(data)
    except DecodeError as exc:
        raise ModelError(
            f"{where}: not an ONNX model ({exc}); the file may be truncated or corrupted."
        ) from None
    return message


def read_metadata(data: bytes, where: str = "model") -> dict[str, str]:
    """The metadata of an ONNX model's bytes, ``{key: value}``."""
    return {entry.key: entry.value for entry in _parse(data, where).metadata_props}


def with_metadata(data: bytes, updates: Mapping[str, str], where: str = "model") -> bytes:
    """The model ``data`` with the metadata keys of ``updates`` set (replaced where they are,
    added where not; every other key and the graph kept as they were).

    Raises:
        ModelError: ``data`` is not a protobuf message.
    """
    message = _parse(data, where)
    kept = [(e.key, e.value) for e in message.metadata_props if e.key not in updates]
    del message.metadata_props[:]
    for key, value in [*kept, *updates.items()]:
        message.metadata_props.add(key=key, value=value)
    return message.SerializeToString()
