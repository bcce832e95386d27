"""Service-account key files exactly shaped like the ones Google hands out.

The wizard stores the key JSON as a CI secret and DVC reads it with google-auth, so the
fake must return a real, usable RSA key in Google's layout. Only the key's id, times and
public fingerprint go into the world: the private key exists in the RPC response alone,
as at Google, which never keeps a copy either.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from urllib.parse import quote

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

AUTH_URI = "https://accounts.google.com/o/oauth2/auth"
TOKEN_URI = "https://oauth2.googleapis.com/token"
CERTS_URI = "https://www.googleapis.com/oauth2/v1/certs"
ROBOT_CERT_URI = "https://www.googleapis.com/robot/v1/metadata/x509/"


@dataclass(frozen=True)
class KeyMaterial:
    key_id: str  # 40 hex characters, like Google's
    private_key_pem: str  # PKCS#8, "-----BEGIN PRIVATE KEY-----"
    public_key_fingerprint: str  # SHA-256 of the DER public key, hex
    public_key_pem: str = ""  # kept in the world: the token endpoint checks signatures with it


def generate(bits: int = 2048) -> KeyMaterial:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return KeyMaterial(
        key_id=hashlib.sha1(der).hexdigest(),
        private_key_pem=pem,
        public_key_fingerprint=hashlib.sha256(der).hexdigest(),
        public_key_pem=key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii"),
    )


def credentials_json(
    material: KeyMaterial, project_id: str, client_email: str, client_id: str, token_uri: str | None = None
) -> bytes:
    """The key file (TYPE_GOOGLE_CREDENTIALS_FILE) with Google's fields, in Google's order.

    `token_uri` is the sandbox's token endpoint, so google-auth exchanges the key there.
    """
    document = {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": material.key_id,
        "private_key": material.private_key_pem,
        "client_email": client_email,
        "client_id": client_id,
        "auth_uri": AUTH_URI,
        "token_uri": token_uri or TOKEN_URI,
        "auth_provider_x509_cert_url": CERTS_URI,
        "client_x509_cert_url": ROBOT_CERT_URI + quote(client_email, safe=""),
        "universe_domain": "googleapis.com",
    }
    return (json.dumps(document, indent=2) + "\n").encode("utf-8")
