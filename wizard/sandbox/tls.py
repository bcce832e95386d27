"""The sandbox's own certificate authority, so every fake speaks TLS like Google does.

Google's endpoints are HTTPS and TLS-protected gRPC only; a sandbox on plain loopback
would let the wizard keep insecure channels that can never work against Google. So the
sandbox makes a CA of its own (`DIR/ca.pem`), signs one server certificate for 127.0.0.1
and localhost with it, and the wizard and its subprocesses trust that CA through the
standard variables (GRPC_DEFAULT_SSL_ROOTS_FILE_PATH, REQUESTS_CA_BUNDLE, SSL_CERT_FILE).
Nothing is ever installed system-wide. Keys are EC P-256: quick to make, and accepted by
gRPC, OpenSSL and aiohttp alike.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from wizard.fsutil import atomic_write

CA_FILE = "ca.pem"
TLS_DIR = "tls"
CA_KEY_FILE = "ca-key.pem"
CERT_FILE = "server.pem"
KEY_FILE = "server-key.pem"
HOSTS = ("127.0.0.1", "localhost")


@dataclass(frozen=True)
class TlsFiles:
    ca: Path  # what clients trust
    cert: Path  # the server's certificate chain
    key: Path  # the server's private key (0600)

    def ca_pem(self) -> bytes:
        return self.ca.read_bytes()

    def server_pair(self) -> tuple[bytes, bytes]:
        """(private key PEM, certificate PEM), the shape grpc.ssl_server_credentials wants."""
        return self.key.read_bytes(), self.cert.read_bytes()

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(self.cert), str(self.key))
        return context


def tls_files(root: Path) -> TlsFiles:
    root = Path(root)
    return TlsFiles(root / CA_FILE, root / TLS_DIR / CERT_FILE, root / TLS_DIR / KEY_FILE)


def ensure_tls(root: Path) -> TlsFiles:
    """The sandbox's CA and server certificate, made on first use and kept in the folder."""
    files = tls_files(root)
    if files.ca.is_file() and files.cert.is_file() and files.key.is_file():
        return files
    _make(Path(root), files)
    return files


def _make(root: Path, files: TlsFiles) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    later = now + datetime.timedelta(days=3650)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"mlops-wizard sandbox CA ({root.name})")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(later)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_address(HOSTS[0])), x509.DNSName(HOSTS[1])]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOSTS[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(later)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    def private(k: ec.EllipticCurvePrivateKey) -> bytes:
        return k.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    atomic_write(root / TLS_DIR / CA_KEY_FILE, private(ca_key), mode=0o600)
    atomic_write(files.key, private(key), mode=0o600)
    atomic_write(files.cert, cert.public_bytes(serialization.Encoding.PEM))
    atomic_write(files.ca, ca_cert.public_bytes(serialization.Encoding.PEM))  # last: it marks completion
