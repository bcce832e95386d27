"""Every Google API the wizard calls is built from one table, and each entry names real classes."""

from __future__ import annotations

import pytest

from wizard.gcp.target import GRPC_CLIENTS, Target, _grpc_classes


@pytest.mark.parametrize("name", sorted(GRPC_CLIENTS))
def test_each_table_entry_names_a_client_and_its_grpc_transport(name: str):
    client_cls, transport_cls = _grpc_classes(name)

    assert client_cls.__name__.endswith("Client")
    assert transport_cls.__name__.endswith("GrpcTransport")
    assert transport_cls in client_cls.get_transport_class.__self__._transport_registry.values()


def test_every_table_entry_has_its_method_on_the_target():
    for name in GRPC_CLIENTS:
        assert callable(getattr(Target, name)), name
