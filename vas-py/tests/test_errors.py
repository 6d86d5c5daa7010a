"""The error surface: one class per kind of the shared table, context attributes."""

import builtins
import errno
import io
import pathlib
import re

import pytest

import vas

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_every_kind_has_its_class():
    assert len(vas.ERROR_KINDS) >= 15
    assert [k.c_code for k in vas.ERROR_KINDS] == list(range(1, len(vas.ERROR_KINDS) + 1))
    assert len({k.python_class for k in vas.ERROR_KINDS}) == len(vas.ERROR_KINDS)
    for info in vas.ERROR_KINDS:
        cls = getattr(vas, info.python_class)
        assert cls is vas.exception_class(info.name)
        assert issubclass(cls, vas.VasError)
        assert issubclass(cls, Exception)
        assert cls.__module__ == "vas"
        assert cls.__name__ == info.python_class
        assert cls.kind == info.name
        assert info.js_code.startswith("VAS_")
        assert info.python_class in vas.__all__
        if info.python_builtin is not None:
            assert issubclass(cls, getattr(builtins, info.python_builtin))
        # Instances built by user code have the attributes too (as None).
        e = cls("x")
        assert (e.path, e.line, e.column, e.element, e.id, e.code) == (None,) * 6
        assert e.kind == info.name


def test_table_matches_the_rust_source():
    """ERROR_KINDS is vas-core's table: cross-check against vas-core/src/error.rs."""
    src = (ROOT / "vas-core" / "src" / "error.rs").read_text()
    for info in vas.ERROR_KINDS:
        assert f'"{info.python_class}"' in src
        assert f'"{info.js_code}"' in src
        if info.python_builtin:
            assert f'Some("{info.python_builtin}")' in src
    assert re.search(r"ErrorKind::Internal => \(\"Internal\", \"InternalError\", \"VAS_INTERNAL\", 15", src)


def test_missing_file_raises_not_found(tmp_path):
    missing = tmp_path / "nope.bin"
    with pytest.raises(vas.NotFoundError) as info:
        vas.digest_file(missing)
    e = info.value
    assert isinstance(e, FileNotFoundError)
    assert isinstance(e, OSError)
    assert isinstance(e, vas.VasError)
    assert e.kind == "NotFound"
    assert e.path == str(missing)
    assert e.filename == str(missing)
    assert e.errno == errno.ENOENT
    assert str(missing) in str(e)
    # The io error's text appears once, not twice.
    assert str(e).count("No such file") == 1
    # Also catchable as the builtin, as an application would.
    with pytest.raises(FileNotFoundError):
        vas.digest_file(str(missing), "MD5")


def test_directory_is_not_a_file(tmp_path):
    with pytest.raises(vas.VasError) as info:
        vas.digest_file(tmp_path)
    assert info.value.path == str(tmp_path)


@pytest.mark.parametrize("call", [
    lambda: vas.digest(b"abc", "CRC32"),
    lambda: vas.digest_file(__file__, "sha3-256"),
    lambda: vas.Hasher("whirlpool"),
    lambda: vas.digest(io.BytesIO(b"abc"), ""),
])
def test_bad_algorithm_is_invalid_input(call):
    with pytest.raises(vas.InvalidInputError) as info:
        call()
    assert isinstance(info.value, ValueError)
    assert info.value.kind == "InvalidInput"
    assert "expected one of" in str(info.value)


def test_wrong_argument_types_are_type_errors():
    with pytest.raises(TypeError, match="encode it first"):
        vas.digest("abc")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        vas.digest(12345)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        vas.digest_file(12345)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        vas.Hasher().update("text")  # type: ignore[arg-type]


def test_text_mode_file_is_refused(tmp_path):
    p = tmp_path / "t.txt"
    p.write_text("hello")
    with open(p, "r") as f, pytest.raises(vas.InvalidInputError, match="binary mode"):
        vas.digest(f)  # type: ignore[arg-type]


def test_exception_from_read_propagates_unchanged():
    class Boom(Exception):
        pass

    class Failing(io.RawIOBase):
        def __init__(self):
            self.calls = 0

        def readable(self):
            return True

        def read(self, n=-1):
            self.calls += 1
            if self.calls > 2:
                raise Boom("disk on fire")
            return b"x" * min(n, 10)

    with pytest.raises(Boom, match="disk on fire"):
        vas.digest(Failing())


def test_closed_file_raises_its_own_error(tmp_path):
    p = tmp_path / "c.bin"
    p.write_bytes(b"abc")
    f = open(p, "rb")
    f.close()
    with pytest.raises(ValueError, match="closed file"):
        vas.digest(f)


def test_read_returning_too_much_is_refused():
    class Liar:
        def read(self, n=-1):
            return b"y" * (n + 1)

    with pytest.raises(vas.InvalidInputError, match="at most"):
        vas.digest(Liar())  # type: ignore[arg-type]


@pytest.mark.parametrize("info", vas.ERROR_KINDS, ids=lambda i: i.name)
def test_each_kind_maps_to_its_class_with_full_context(info):
    from vas import _vas

    with pytest.raises(vas.VasError) as caught:
        _vas._raise_error(
            info.name, "something is wrong", path=pathlib.Path("Content/a.pdf"),
            element="/ArchiveTransfer/DataObjectPackage", line=12, column=5,
            id="BDO1", code="CHECK_DIGEST.KO",
        )
    e = caught.value
    assert type(e) is getattr(vas, info.python_class)
    assert e.kind == info.name
    assert e.message == "something is wrong"
    assert (e.path, e.element, e.line, e.column, e.id, e.code) == (
        "Content/a.pdf", "/ArchiveTransfer/DataObjectPackage", 12, 5, "BDO1", "CHECK_DIGEST.KO")
    assert str(e) == ("something is wrong (at Content/a.pdf:12:5, "
                      "/ArchiveTransfer/DataObjectPackage, id BDO1, CHECK_DIGEST.KO)")
    if isinstance(e, OSError):
        assert e.filename == "Content/a.pdf"
    # Without context every field is None.
    with pytest.raises(vas.VasError) as caught:
        _vas._raise_error(info.name, "bare")
    e = caught.value
    assert (e.path, e.element, e.line, e.column, e.id, e.code) == (None,) * 6
    assert str(e) == "bare"
