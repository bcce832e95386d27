"""Uploads keep every byte: a data file ending in a carriage return comes back identical."""

import pytest

from wizard.sandbox.storage import split_multipart_related

CONTENT = b"P5 8 8 255\n\x00\x01\r\n\x07\x13\r"


@pytest.mark.parametrize("nl", [b"\r\n", b"\n"], ids=["crlf (google-resumable-media)", "lf (gcsfs)"])
def test_binary_content_survives_both_line_styles(nl):
    body = (
        b"--==0=="
        + nl
        + b"Content-Type: application/json; charset=UTF-8"
        + nl
        + nl
        + b'{"name": "x"}'
        + nl
        + b"--==0=="
        + nl
        + b"Content-Type: application/octet-stream"
        + nl
        + nl
        + CONTENT
        + nl
        + b"--==0==--"
    )
    (meta_headers, meta), (file_headers, content) = split_multipart_related(body, 'multipart/related; boundary="==0=="')
    assert meta == b'{"name": "x"}'
    assert file_headers["content-type"] == "application/octet-stream"
    assert content == CONTENT


def test_a_body_without_boundary_is_refused():
    with pytest.raises(ValueError):
        split_multipart_related(b"", "multipart/related")
