"""The one version-check idiom of the private-API patches."""

import pytest

from app.compat import UnsupportedVersion, pin


def test_pin_accepts_the_supported_release_and_names_the_patch_otherwise() -> None:
    import sanic

    assert pin("sanic", sanic.__version__.rsplit(".", 1)[0] + ".", "probe") == sanic.__version__
    with pytest.raises(UnsupportedVersion, match=r"probe was checked against sanic 1\.0\.x"):
        pin("sanic", "1.0.", "probe")
