"""SIP building (SipBuilder, Unit, folder and CSV import) and inspection (inspect_sip).

Oracles: hashlib for every digest and size the manifest declares, zipfile/tarfile for the
package contents, the strict SEDA validation (which agrees with xmllint, test_manifest.py)
for the manifest, and Vitam's container rules (inspect_sip) for the package.
"""

import datetime
import hashlib
import io
import re
import tarfile
import threading
import time
import zipfile

import pytest

import vas
from conftest import small_builder


def manifest_of(package: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        return z.read("manifest.xml")


def test_builder_header_units_and_repr():
    b = small_builder(comment="Un commentaire", date=datetime.datetime(2026, 1, 15, 10, 0, 0))
    assert b.seda_version == "2.3"
    root = b.add_unit("Dossier", description_level="File", start_date=datetime.date(2025, 1, 10))
    child = root.add_unit("Pièce", description_level="Item", id="PIECE_1")
    assert (root.id, child.id) == ("AU1", "PIECE_1")
    assert b.unit_count == 2 and b.object_count == 0
    assert root.title == "Dossier" and root.description_level == "File"
    assert root.start_date == datetime.date(2025, 1, 10) and root.end_date is None
    root.end_date = "2025-03-03"
    assert root.end_date == datetime.date(2025, 3, 3)
    root.description = "Desc"
    root.title = "Dossier renommé"
    assert b.unit("PIECE_1") == child and b.unit("AU1").title == "Dossier renommé"
    assert repr(root) == "<vas.Unit AU1 \"Dossier renommé\">"
    assert "units=2" in repr(b)
    assert root.add_rule("AccessRule", "ACC-00001", datetime.date(2025, 3, 3)) is root
    assert root.rules == [("AccessRule", "ACC-00001", "2025-03-03")]
    root.add_rule("AppraisalRule", "APP-MARCHE-10").set_final_action("AppraisalRule", "Destroy")
    assert root.final_actions == [("AppraisalRule", "Destroy")]
    root.add_field("Keyword.0.KeywordContent", "marché").add_field("Title", "Title", 'xml:lang="fr"')
    assert root.fields[0] == ("Keyword.0.KeywordContent", "marché")
    child.add_object(b"hello", filename="hello.txt")
    assert b.object_count == 1
    manifest = manifest_of(b.to_bytes(deterministic=True))
    text = manifest.decode()
    assert "<Comment>Un commentaire</Comment>" in text
    assert "<Date>2026-01-15T10:00:00</Date>" in text
    assert "<StartDate>2025-01-10</StartDate>" in text and "<EndDate>2025-03-03</EndDate>" in text
    assert "<KeywordContent>marché</KeywordContent>" in text
    assert '<Title xml:lang="fr">Title</Title>' in text
    assert "<FinalAction>Destroy</FinalAction>" in text
    v = vas.validate_manifest(manifest)
    assert v.valid, v.findings


def test_objects_from_path_bytes_and_file_objects(tmp_path, rng):
    files = {name: rng.randbytes(size) for name, size in [("a.pdf", 70_000), ("b.bin", 1), ("c.txt", 300_000)]}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    b = small_builder()
    u = b.add_unit("Objets")
    u.add_object(tmp_path / "a.pdf")  # os.PathLike
    u.add_object(str(tmp_path / "b.bin"), "Dissemination_1", filename="renamed.bin")
    with open(tmp_path / "c.txt", "rb") as f:
        u.add_object(f, "TextContent_1")  # name taken from the file object
        v = u.add_unit("Mémoire")
        v.add_object(io.BytesIO(b"in memory"), filename="mem.txt")
        v.add_object(bytearray(b"thumb"), "Thumbnail_1", filename="t.png", format_id="fmt/11", mime_type="image/png")
        out = tmp_path / "sip.zip"
        report = b.write(out, deterministic=True)
    assert report.path == str(out) and report.units == 2 and report.algorithm == "SHA-512"
    assert len(report.objects) == 5
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        assert names[0] == "manifest.xml"
        for o in report.objects:
            data = z.read(o.uri)
            assert o.digest == hashlib.sha512(data).hexdigest() and o.size == len(data)
        assert sorted(z.read(o.uri) for o in report.objects) == sorted(
            list(files.values()) + [b"in memory", b"thumb"])
        manifest = z.read("manifest.xml").decode()
    assert report.manifest_digest == hashlib.sha512(manifest.encode()).hexdigest()
    assert report.total_size == sum(len(d) for d in files.values()) + len(b"in memory") + len(b"thumb")
    assert "<Filename>renamed.bin</Filename>" in manifest and "<Filename>c.txt</Filename>" in manifest
    assert "<FormatId>fmt/11</FormatId>" in manifest
    assert vas.validate_manifest(manifest.encode()).valid
    inspection = vas.inspect_sip(out)
    assert inspection.verdict == "OK" and inspection.ok and inspection.digests_ok == 5
    assert "BuildReport" in repr(report) and "BuiltObject" in repr(report.objects[0])


@pytest.mark.parametrize("fmt,ext", [("zip", ".zip"), ("tar", ".tar"), ("tar.gz", ".tar.gz")])
def test_formats_algorithms_and_manifest_last(tmp_path, fmt, ext):
    paths = {}
    for manifest_last in (False, True):
        b = small_builder(message_identifier="M-1", date="2026-01-01T00:00:00")
        b.add_unit("U").add_object(b"data" * 1000, filename="d.txt")
        p = tmp_path / f"sip-{manifest_last}{ext}"
        r = b.write(p, digest_algorithm="SHA-256", deterministic=True, manifest_last=manifest_last)
        assert r.algorithm == "SHA-256"
        assert r.objects[0].digest == hashlib.sha256(b"data" * 1000).hexdigest()
        paths[manifest_last] = p
        assert vas.inspect_sip(p).container == fmt
    # The manifest is the same byte for byte whichever comes first.
    def manifest(p):
        if fmt == "zip":
            return zipfile.ZipFile(p).read("manifest.xml")
        with tarfile.open(p) as t:
            names = t.getnames()
            return t.extractfile("manifest.xml").read(), names
    if fmt == "zip":
        assert manifest(paths[False]) == manifest(paths[True])
    else:
        (m1, n1), (m2, n2) = manifest(paths[False]), manifest(paths[True])
        assert m1 == m2 and n1[0] == "manifest.xml" and n2[-1] == "manifest.xml"


def test_format_follows_the_extension_and_stored_compression(tmp_path):
    b = small_builder()
    b.add_unit("U").add_object(b"x" * 10_000, filename="x.txt")
    p = tmp_path / "out.tgz"
    b.write(p)
    assert tarfile.is_tarfile(p) and p.read_bytes()[:2] == b"\x1f\x8b"
    b = small_builder()
    b.add_unit("U").add_object(b"x" * 10_000, filename="x.txt")
    data = b.to_bytes(compression="stored")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())


def test_deterministic_builds_are_identical_and_not_deterministic_differ():
    def build(**kw):
        b = small_builder(message_identifier="M", date="2026-01-01T00:00:00")
        b.add_unit("U").add_object(b"abc", filename="a.txt")
        return b.to_bytes(**kw)

    assert build(deterministic=True) == build(deterministic=True)
    assert build(deterministic=True, mtime=1_700_000_000) != build(deterministic=True)


def test_physical_objects():
    b = small_builder()
    u = b.add_unit("Registre 1912")
    u.add_physical_object("3 E 12/4")
    with pytest.raises(vas.InvalidInputError) as e:
        u.add_physical_object("x", "BinaryMaster_1")
    assert e.value.code.endswith("PDO_DATAOBJECTIONVERSION_BINARYMASTER.KO")
    text = manifest_of(b.to_bytes()).decode()
    assert "<PhysicalId>3 E 12/4</PhysicalId>" in text


def test_progress_is_reported(tmp_path):
    b = small_builder()
    b.add_unit("U").add_object(b"z" * 200_000, filename="z.bin")
    seen = []
    b.write(tmp_path / "p.zip", progress=lambda phase, done, total: seen.append((phase, done, total)))
    assert {p for p, _, _ in seen} == {0, 1}
    assert all(0 <= d <= t for _, d, t in seen)


class Stop(Exception):
    pass


@pytest.mark.parametrize("manifest_last", [False, True])
def test_progress_exception_cancels_the_build(tmp_path, manifest_last):
    calls = []

    def progress(phase, done, total):
        calls.append(phase)
        if phase == 1:
            raise Stop("enough")

    b = small_builder()
    for i in range(3):
        b.add_unit(f"U{i}").add_object(bytes([i]) * 100_000, filename=f"{i}.bin")
    out = tmp_path / "cancelled.zip"
    with pytest.raises(Stop, match="enough"):
        b.write(out, manifest_last=manifest_last, progress=progress)
    assert not out.exists()  # nothing half-written
    assert calls.count(1) == 1  # never called again once it raised
    with pytest.raises(vas.ConflictError):  # the builder is spent
        b.add_unit("again")
    b2 = small_builder()
    b2.add_unit("U").add_object(b"x" * 10, filename="x.bin")
    with pytest.raises(Stop):
        b2.to_bytes(progress=progress)


def test_builder_errors(tmp_path):
    b = small_builder()
    u = b.add_unit("U")
    with pytest.raises(vas.InvalidInputError) as e:
        u.add_object(b"x", "Master_1", filename="x")
    assert e.value.code.endswith("INVALID_DATAOBJECTVERSION.KO")
    u.add_object(b"x", filename="x")
    with pytest.raises(vas.InvalidInputError) as e:
        u.add_object(b"y", filename="y")
    assert e.value.code.endswith("TOO_MANY_VERSION_BY_USAGE.KO") and e.value.id == "AU1"
    with pytest.raises(vas.InvalidInputError, match="filename"):
        u.add_object(b"no name", "Dissemination_1")
    with pytest.raises(vas.NotFoundError) as nf:
        u.add_object(tmp_path / "missing.pdf", "Thumbnail_1")
    assert isinstance(nf.value, FileNotFoundError) and nf.value.path == str(tmp_path / "missing.pdf")
    with pytest.raises(vas.InvalidInputError, match="regular file"):
        u.add_object(tmp_path, "Thumbnail_1")
    with pytest.raises(TypeError):
        u.add_object(12345, "Thumbnail_1")  # type: ignore[arg-type]
    with pytest.raises(vas.InvalidInputError, match="non-empty title"):
        b.add_unit("  ")
    with pytest.raises(vas.InvalidInputError, match="valid XML identifier"):
        b.add_unit("x", id="1bad")
    with pytest.raises(vas.AlreadyExistsError):
        b.add_unit("dup", id="AU1")
    with pytest.raises(vas.NotFoundError):
        b.unit("NOPE")
    c = u.add_unit("child")
    with pytest.raises(vas.InvalidInputError) as e:
        c.link(u)
    assert "cycle" in str(e.value) and e.value.code.endswith("CHECK_MANIFEST_LOOP.KO")
    other = small_builder()
    with pytest.raises(vas.InvalidInputError, match="another SipBuilder"):
        b.add_unit("x", other.add_unit("foreign"))
    with pytest.raises(vas.UnsupportedError):
        vas.SipBuilder("9.9")
    with pytest.raises(TypeError, match="unknown header field"):
        vas.SipBuilder("2.3", agency="x")
    with pytest.raises(TypeError):
        u.start_date = 2025  # type: ignore[assignment]
    for kw, cls in [
        (dict(format="rar"), vas.InvalidInputError),
        (dict(compression="lzma"), vas.InvalidInputError),
        (dict(compression_level=12), vas.InvalidInputError),
        (dict(digest_algorithm="CRC32"), vas.InvalidInputError),
    ]:
        with pytest.raises(cls):
            b.to_bytes(**kw)
    # The builder survives argument errors; any error of the write itself consumes it.
    named = small_builder()
    named.add_unit("U")
    with pytest.raises(vas.InvalidInputError) as e:
        named.to_bytes(manifest_name="bordereau.txt")
    assert e.value.code == "MANIFEST_FILE_NAME_CHECK.KO"
    existing = tmp_path / "exists.zip"
    existing.write_bytes(b"keep me")
    with pytest.raises(vas.AlreadyExistsError) as ae:
        b.write(existing)
    assert isinstance(ae.value, FileExistsError)
    assert existing.read_bytes() == b"keep me", "an existing file is never overwritten"
    with pytest.raises(vas.ConflictError, match="already written"):
        b.to_bytes()
    with pytest.raises(vas.ConflictError):
        u.add_rule("AccessRule", "ACC-00001")
    assert "(written)" in repr(b)


def test_empty_builder_and_missing_final_action():
    with pytest.raises(vas.InvalidInputError, match="at least one archive unit"):
        small_builder().to_bytes()
    b = small_builder()
    b.add_unit("U").add_rule("AppraisalRule", "APP-MARCHE-10")
    with pytest.raises(vas.VasError, match="FinalAction"):
        b.to_bytes()


def test_exception_of_a_file_object_propagates_unchanged():
    class Boom(Exception):
        pass

    class Failing(io.RawIOBase):
        def readable(self):
            return True

        def read(self, n=-1):
            raise Boom("tape jammed")

    b = small_builder()
    b.add_unit("U").add_object(Failing(), filename="f.bin")
    with pytest.raises(Boom, match="tape jammed"):
        b.to_bytes()


def test_text_mode_file_object_is_refused(tmp_path):
    p = tmp_path / "t.txt"
    p.write_text("du texte")
    b = small_builder()
    with open(p, "r") as f:
        b.add_unit("U").add_object(f)  # type: ignore[arg-type]
        with pytest.raises(vas.VasError, match="binary mode"):
            b.to_bytes()


def test_write_releases_the_gil(tmp_path, rng):
    data = rng.randbytes(8 << 20)
    b = small_builder()
    u = b.add_unit("Gros")
    u.add_object(data, filename="big.bin")
    done = threading.Event()
    ticks = 0

    def work():
        b.write(tmp_path / "big.zip", digest_algorithm="SHA-512", compression_level=9)
        done.set()

    t = threading.Thread(target=work)
    start = time.perf_counter()
    t.start()
    while not done.is_set():
        ticks += 1
        time.sleep(0.001)
    t.join()
    if time.perf_counter() - start > 0.5:
        assert ticks > 10


def test_import_folder_and_csv(tmp_path):
    src = tmp_path / "src"
    (src / "Minutes").mkdir(parents=True)
    (src / "Minutes" / "2024-01.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    (src / "Minutes" / "__Dissemination_1__minutes.txt").write_bytes(b"text")
    (src / ".hidden").write_bytes(b"secret")
    b = small_builder()
    imp = b.import_folder(src)
    assert sorted(imp.units) == ["Minutes", "Minutes/2024-01.pdf"] and imp.objects == 2
    assert imp.units["Minutes"].description_level == "RecordGrp"
    assert "FolderImport units=2 objects=2" in repr(imp)
    csv = "File;Content.Description;Management.AccessRule.Rule\nMinutes/2024-01.pdf;Compte rendu;ACC-00001\n"
    assert b.apply_csv(csv.encode(), imp) == 1
    assert ("Description", "Compte rendu") in imp.units["Minutes/2024-01.pdf"].fields
    exported = b.export_csv(src).decode()
    assert exported.startswith("ID;ParentID;File;ObjectFiles")
    assert "Minutes/2024-01.pdf" in exported and "Compte rendu" in exported
    manifest = manifest_of(b.to_bytes())
    assert b"secret" not in manifest and vas.validate_manifest(manifest).valid

    # The exported CSV rebuilds the same tree (ID/ParentID form), from a path.
    (tmp_path / "units.csv").write_text(exported, encoding="utf-8")
    b2 = small_builder()
    units = b2.import_csv(tmp_path / "units.csv", src)
    assert len(units) == 2 and b2.object_count == 2
    assert {u.title for u in units.values()} == {"Minutes", "2024-01.pdf"}

    with pytest.raises(vas.NotFoundError):
        b2.import_folder(tmp_path / "nope")
    with pytest.raises(vas.InvalidInputError, match="not a folder"):
        b2.import_folder(tmp_path / "units.csv")
    with pytest.raises(vas.InvalidInputError, match="another SipBuilder"):
        b2.apply_csv(csv.encode(), imp)
    with pytest.raises(vas.NotFoundError):
        small_builder().import_csv(tmp_path / "missing.csv", src)
    with pytest.raises(vas.InvalidInputError):
        small_builder().import_csv(b"", src)
    with pytest.raises(vas.InvalidInputError):
        small_builder().import_csv(b"ID;Content.Title\n1;x\n", src, encoding="latin-9")


def test_inspect_reports_vitam_violations(tmp_path, interop_zip):
    ok = vas.inspect_sip(interop_zip)
    assert ok.verdict == "OK" and ok.units == 3 and ok.binary_objects == 3 and ok.digests_ok == 3
    assert ok.header["message_identifier"] == "INTEROP-2026-0001"
    assert ok.manifest == "manifest.xml"
    assert ok.manifest_sha512 == hashlib.sha512(zipfile.ZipFile(interop_zip).read("manifest.xml")).hexdigest()
    assert [e.name for e in ok.entries][0] == "manifest.xml" and ok.present_files == ok.declared_files == 3
    assert "vas.SipInspection OK" in repr(ok)
    # Tamper with one object: the digest check names it with Vitam's code.
    bad = tmp_path / "tampered.zip"
    with zipfile.ZipFile(interop_zip) as zin, zipfile.ZipFile(bad, "w") as zout:
        for i in zin.infolist():
            data = zin.read(i.filename)
            if i.filename.endswith(".txt") and i.filename != "manifest.xml":
                data = data.upper()
            zout.writestr(i.filename, data)
    ko = vas.inspect_sip(bad)
    assert ko.verdict == "KO" and not ko
    assert "CHECK_DIGEST.INVALID.KO" in {v.code for v in ko.violations}
    assert all(v.entry and v.entry.startswith("Content/") for v in ko.violations)
    assert "Violation CHECK_DIGEST" in repr(ko.violations[0])
    # Without digests: the container and file rules only.
    assert vas.inspect_sip(bad, digests=False).verdict == "OK"
    # An extra file the manifest does not declare.
    extra = tmp_path / "extra.zip"
    with zipfile.ZipFile(interop_zip) as zin, zipfile.ZipFile(extra, "w") as zout:
        for i in zin.infolist():
            zout.writestr(i.filename, zin.read(i.filename))
        zout.writestr("Content/undeclared.txt", b"?")
    codes = {v.code for v in vas.inspect_sip(extra).violations}
    assert any(re.search("MANIFEST_INFERIOR_BDO", c) for c in codes), codes


def test_inspect_refuses_unsafe_and_limits(tmp_path, interop_zip):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("manifest.xml", b"<ArchiveTransfer/>")
        z.writestr("../escape.txt", b"x")
    with pytest.raises(vas.UnsafeError) as e:
        vas.inspect_sip(evil)
    assert e.value.code
    with pytest.raises(vas.LimitExceededError):
        vas.inspect_sip(interop_zip, max_entries=2)
    with pytest.raises(vas.NotFoundError):
        vas.inspect_sip(tmp_path / "missing.zip")
    notzip = tmp_path / "plain.zip"
    notzip.write_bytes(b"not a package at all")
    with pytest.raises(vas.VasError):
        vas.inspect_sip(notzip)
