"""A certificate made on the spot, to serve an emulator over HTTPS.

For carriers' SDKs that speak nothing but HTTPS (Vonage's builds every URL as
``https://{host}``): the emulator is served with a certificate for
127.0.0.1, localhost and ::1, issued by a certificate authority made for the
occasion, whose certificate a client is told to trust (``REQUESTS_CA_BUNDLE``
for SDKs built on requests). The library's own adapters need none of this:
they reach an emulator over plain HTTP on loopback.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from .._extras import missing_extra

__all__ = ["Certificate", "make_certificate"]


class Certificate(NamedTuple):
    """Where a made certificate's files are: the authority's certificate, the server's and its key."""

    ca_file: Path
    cert_file: Path
    key_file: Path


def make_certificate(directory: Path) -> Certificate:
    """A new authority and a server certificate for loopback, written into ``directory``."""
    try:
        import trustme
    except ImportError as exc:
        raise missing_extra("serving an emulator over HTTPS", "emulator", exc) from None
    authority = trustme.CA(organization_name="numbers-core emulator")
    issued = authority.issue_cert("127.0.0.1", "localhost", "::1")
    made = Certificate(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    authority.cert_pem.write_to_path(str(made.ca_file))
    for index, pem in enumerate(issued.cert_chain_pems):
        pem.write_to_path(str(made.cert_file), append=index > 0)
    issued.private_key_pem.write_to_path(str(made.key_file))
    return made
