"""The cross-language interop fixture (tests/interop/), Python side.

Builds the SIP that tests/interop/spec.json describes with the Python builder API
(vas.SipBuilder, Unit handles), in deterministic mode, and checks that its SHA-256 is the
one recorded in expected.json (the Rust, Node and C builders must produce the same bytes),
then dry-runs it and each KO SIP and compares the reports' projections to expected.json.
Mirrors vas-core/tests/interop.rs, which is the reference for how each spec field maps to
builder calls.
"""

import hashlib
import json
import pathlib

import pytest

import vas

ROOT = pathlib.Path(__file__).resolve().parents[2]
INTEROP = ROOT / "tests" / "interop"
SPEC = json.loads((INTEROP / "spec.json").read_text(encoding="utf-8"))
EXPECTED = json.loads((INTEROP / "expected.json").read_text(encoding="utf-8"))


def builder_from_spec(spec: dict) -> vas.SipBuilder:
    h = spec["header"]
    b = vas.SipBuilder(
        spec["seda_version"],
        message_identifier=h["message_identifier"],
        date=h["date"],
        comment=h["comment"],
        archival_agreement=h["archival_agreement"],
        archival_agency=h["archival_agency"],
        transferring_agency=h["transferring_agency"],
        originating_agency=h["originating_agency"],
        submission_agency=h["submission_agency"],
    )
    units = {}
    for u in spec["units"]:
        parent = units[u["parent"]] if u.get("parent") else None
        unit = b.add_unit(
            u["title"],
            parent,
            description_level=u.get("description_level"),
            description=u.get("description"),
            start_date=u.get("start_date"),
            end_date=u.get("end_date"),
        )
        units[u["key"]] = unit
        for r in u["rules"]:
            unit.add_rule(r["category"], r["rule"], r.get("start_date"))
        for f in u["final_actions"]:
            unit.set_final_action(f["category"], f["action"])
        for f in u["fields"]:
            unit.add_field(f["path"], f["value"])
        for o in u["objects"]:
            if "path" in o:
                unit.add_object(INTEROP / o["path"], o["usage"])
            else:
                unit.add_object(o["bytes_utf8"].encode("utf-8"), o["usage"], filename=o["filename"])
    return b


def build_options(spec: dict) -> dict:
    o = spec["options"]
    return dict(
        format=o["format"],
        digest_algorithm=o["digest_algorithm"],
        compression=o["compression"],
        compression_level=o["compression_level"],
        deterministic=o["deterministic"],
        manifest_last=o["manifest_last"],
        identify_formats=o["identify_formats"],
    )


def project(report: dict) -> dict:
    """The part of a dry-run report every language must reproduce."""
    return {
        "outcome": report["outcome"],
        "outDetail": report["outDetail"],
        "events": [[e["evType"], e["outcome"], e["outDetail"], e["outMessg"]] for e in report["events"]],
    }


@pytest.fixture(scope="module")
def interop_sip(tmp_path_factory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("interop") / "interop.zip"
    report = builder_from_spec(SPEC).write(out, **build_options(SPEC))
    assert report.units == len(SPEC["units"])
    return out


def test_python_builds_the_same_bytes_as_rust(interop_sip):
    data = interop_sip.read_bytes()
    assert hashlib.sha256(data).hexdigest() == EXPECTED["sip"]["sha256"]
    assert len(data) == EXPECTED["sip"]["size"]
    # In memory too, and deterministic: a second build gives the same bytes.
    assert builder_from_spec(SPEC).to_bytes(**build_options(SPEC)) == data


def test_python_dry_run_of_the_interop_sip_is_as_recorded(interop_sip):
    check = vas.dry_run_ingest(interop_sip, INTEROP / SPEC["ok_referentials"])
    assert check.accepted and bool(check)
    assert project(check.report) == EXPECTED["sip"]["dry_run"]
    assert check.outcome == EXPECTED["sip"]["dry_run"]["outcome"]
    assert "ArchiveTransferReply" in check.atr


@pytest.mark.parametrize("name", sorted(EXPECTED["ko"]))
def test_python_dry_run_of_ko_sips_is_as_recorded(name):
    check = vas.dry_run_ingest(INTEROP / "ko" / name, INTEROP / SPEC["ko_referentials"])
    assert not check.accepted
    assert project(check.report) == EXPECTED["ko"][name]


def test_every_ko_sip_is_in_expected():
    assert sorted(p.name for p in (INTEROP / "ko").glob("*.zip")) == sorted(EXPECTED["ko"])
