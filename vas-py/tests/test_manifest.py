"""Manifest validation, statistics, round-trip and format identification."""

import os
import pathlib

import pytest

import vas

ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "fixtures" / "seda" / "samples"
PROFIL = ROOT / "tests" / "fixtures" / "profiles" / "vitam-checkProfil"
DEMO = ROOT / "examples" / "demo" / "Marché 2024-017 - Rénovation de la mairie"
MALFORMED = b'<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.2"><Date>'


def xmllint_verdicts():
    for line in (SAMPLES / "RESULTS.txt").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        verdict, _version, name = line.split(None, 2)
        yield name, verdict == "PASS"


def test_agrees_with_xmllint_on_every_sample():
    rows = list(xmllint_verdicts())
    assert len(rows) >= 20
    # xmllint does not resolve IDREFs: compare without that vas check.
    disagree = [
        n for n, ok in rows if vas.validate_manifest(SAMPLES / n, check_references=False).valid != ok
    ]
    assert disagree == []
    # With it, the dangling references are findings of their own kind.
    v = vas.validate_manifest(SAMPLES / "ko-idref-2.3.xml")
    assert not v.valid and {f.kind for f in v.findings} == {"reference"}


def test_valid_and_invalid_manifest():
    ok = vas.validate_manifest(str(SAMPLES / "f22-agent-2.3.xml"))
    assert ok.valid and bool(ok) and ok.findings == [] and ok.seda_version == "2.3"
    assert ok.mode == "strict" and "valid=True" in repr(ok)
    ko = vas.validate_manifest(SAMPLES / "f21-signature-2.3.xml")
    assert not ko.valid and len(ko.findings) >= 1
    f = ko.findings[0]
    assert f.kind == "schema" and f.line > 0 and f.column > 0
    assert f.path.startswith("/ArchiveTransfer") and f.message
    assert "vas.Finding schema" in repr(f)


def test_validate_bytes_same_verdict_as_file():
    data = (SAMPLES / "f21-signature-2.3.xml").read_bytes()
    a = vas.validate_manifest(data)
    b = vas.validate_manifest(SAMPLES / "f21-signature-2.3.xml")
    assert [(f.line, f.message) for f in a.findings] == [(f.line, f.message) for f in b.findings]
    assert vas.validate_manifest(bytearray(data)).valid is False


def test_profile():
    ok = vas.validate_manifest(PROFIL / "manifest_ok.xml", "vitam", PROFIL / "Profil20.rng")
    assert ok.valid and ok.mode == "vitam"
    ko = vas.validate_manifest(PROFIL / "manifest_ko.xml", "vitam", PROFIL / "Profil20.rng")
    assert not ko.valid and any(f.kind == "profile" for f in ko.findings)


def test_malformed_is_a_verdict():
    v = vas.validate_manifest(MALFORMED)
    assert not v.valid and v.findings[0].kind == "xml" and v.findings[0].line == 1


def test_validate_errors():
    with pytest.raises(vas.NotFoundError) as e:
        vas.validate_manifest("no/such/manifest.xml")
    assert isinstance(e.value, FileNotFoundError)
    with pytest.raises(vas.InvalidInputError):
        vas.validate_manifest(SAMPLES / "f22-agent-2.3.xml", mode="lax")
    with pytest.raises(vas.NotFoundError):
        vas.validate_manifest(SAMPLES / "f22-agent-2.3.xml", profile="no/such/profile.rng")
    with pytest.raises(TypeError):
        vas.validate_manifest(42)


def test_stats():
    s = vas.manifest_stats(SAMPLES / "f22-agent-2.3.xml")
    assert s.version == "2.3" and s.kind == "ArchiveTransfer"
    assert s.units >= 1 and s.roots >= 1 and s.max_depth >= 1 and not s.has_cycle
    assert "vas.ManifestStats SEDA 2.3" in repr(s)
    assert vas.manifest_stats((SAMPLES / "f22-agent-2.3.xml").read_bytes()).units == s.units


def test_stats_errors():
    with pytest.raises(vas.XmlError):
        vas.manifest_stats(MALFORMED)
    with pytest.raises(vas.UnsupportedError):
        vas.manifest_stats(PROFIL / "Profil20.rng")
    with pytest.raises(vas.UnsupportedError):
        vas.manifest_stats(b'<ArchiveTransfer xmlns="urn:other"/>')
    with pytest.raises(vas.NotFoundError):
        vas.manifest_stats("no/such/manifest.xml")


def test_rewrite_round_trip(tmp_path):
    out = vas.rewrite_manifest(SAMPLES / "f22-agent-2.3.xml")
    assert out.startswith(b"<?xml")
    assert vas.validate_manifest(out).valid
    # Idempotent: rewriting the rewrite changes nothing.
    assert vas.rewrite_manifest(out) == out
    as22 = vas.rewrite_manifest(out, "2.2")
    assert vas.manifest_stats(as22).version == "2.2"
    with pytest.raises(vas.UnsupportedError):
        vas.rewrite_manifest(out, "9.9")


def test_identify():
    png = vas.identify(DEMO / "Pièces administratives" / "plan-facade.png")
    assert png.puid == "fmt/11" and png.mime == "image/png"
    pdf = vas.identify((DEMO / "Pièces administratives" / "avis-attribution.pdf").read_bytes(), "x.pdf")
    assert pdf.puid == "fmt/18" and pdf.mime == "application/pdf"
    assert "vas.Identification fmt/18" in repr(pdf)
    assert vas.identify(b"").puid == "UNKNOWN"
    with pytest.raises(vas.NotFoundError):
        vas.identify(os.path.join("no", "such", "file.pdf"))
