"""Ingest dry run and rules computation.

Oracles: Vitam's outcome codes recorded in tests/interop/expected.json (test_interop.py),
and the rule durations of examples/referentials/rules.csv for the computed end dates.
"""

import csv
import datetime
import zipfile

import pytest

import vas
from conftest import REFERENTIALS, ROOT

INTEROP = ROOT / "tests" / "interop"
KO_REFS = ROOT / "tests" / "fixtures" / "referentials" / "integration-ingest-internal"


def durations() -> dict:
    with open(REFERENTIALS / "rules.csv", newline="", encoding="utf-8") as f:
        return {r["RuleId"]: (int(r["RuleDuration"] or 0), r["RuleMeasurement"]) for r in csv.DictReader(f)}


def test_dry_run_accepts_and_gives_report_and_atr(interop_zip):
    check = vas.dry_run_ingest(interop_zip, REFERENTIALS)
    assert check.accepted and check.outcome in ("OK", "WARNING")
    assert check.out_detail.startswith("PROCESS_SIP_UNITARY")
    assert isinstance(check.report, dict) and isinstance(check.report["events"], list)
    assert check.report["outDetail"] == check.out_detail
    assert check.atr.lstrip().startswith("<?xml") and "<ReplyCode>OK</ReplyCode>" in check.atr
    assert "vas.IngestCheck" in repr(check)
    # Without referentials the checks that need one are skipped.
    assert vas.dry_run_ingest(str(interop_zip)).accepted


def test_dry_run_progress_and_cancel(interop_zip):
    seen = []
    check = vas.dry_run_ingest(interop_zip, REFERENTIALS, progress=lambda done, total: seen.append((done, total)))
    assert check.accepted and seen
    with zipfile.ZipFile(interop_zip) as z:
        objects = sum(i.file_size for i in z.infolist() if not i.filename.endswith("manifest.xml") and not i.is_dir())
    assert seen[-1] == (objects, objects)  # every object byte read; the total is the objects' bytes
    assert all(0 < d <= t for d, t in seen)

    class Stop(Exception):
        pass

    calls = []

    def stop(done, total):
        calls.append(done)
        raise Stop(done)

    with pytest.raises(Stop):
        vas.dry_run_ingest(interop_zip, REFERENTIALS, progress=stop)
    assert len(calls) == 1


def test_dry_run_refusal_is_a_verdict():
    name = "SIP_arbre_without_ingest_contract.zip"
    check = vas.dry_run_ingest(INTEROP / "ko" / name, KO_REFS)
    assert not check.accepted and not check and check.outcome == "KO"
    kos = [e["outDetail"] for e in check.report["events"] if e["outcome"] == "KO"]
    assert kos, check.report
    assert "<ReplyCode>KO</ReplyCode>" in check.atr


def test_dry_run_errors(tmp_path, interop_zip):
    with pytest.raises(vas.NotFoundError):
        vas.dry_run_ingest(tmp_path / "missing.zip", REFERENTIALS)
    with pytest.raises(vas.NotFoundError):
        vas.dry_run_ingest(interop_zip, tmp_path / "no-referentials")
    with pytest.raises(TypeError):
        vas.dry_run_ingest(42)  # type: ignore[arg-type]


def test_rules_end_dates_follow_the_referential(interop_zip):
    d = durations()
    r = vas.compute_rules(REFERENTIALS, interop_zip)
    units = {u["id"]: u for u in r["units"]}
    assert set(units) == {"AU1", "AU2", "AU3"}
    assert units["AU1"]["title"].startswith("Marché 2025-017")
    for u in units.values():
        for cat, block in u["inheritedRules"].items():
            if not isinstance(block, dict):
                continue
            for rule in block["Rules"]:
                years, unit = d[rule["Rule"]]
                assert unit == "YEAR"
                start = datetime.date.fromisoformat(rule["StartDate"])
                assert rule["EndDate"] == start.replace(year=start.year + years).isoformat(), (cat, rule)
    # The pv unit inherits the appraisal rule of its parent, with its final action.
    app = units["AU2"]["computedInheritedRules"]["AppraisalRule"]
    assert app["InheritedRuleIds"] == ["APP-MARCHE-10"] and app["FinalAction"] == ["Destroy"]


def test_rules_unit_and_decisions_at_a_date(interop_zip):
    # ACC-00003 (25 years from 2025-03-03) keeps the pv closed until 2050-03-03.
    before = vas.compute_rules(REFERENTIALS, interop_zip, unit="AU2", at=datetime.date(2040, 1, 1))
    assert [u["id"] for u in before["units"]] == ["AU2"]
    assert before["units"][0]["decisions"]["Communicable"] is False
    after = vas.compute_rules(REFERENTIALS, interop_zip, unit="AU2", at="2050-03-04")
    assert after["units"][0]["decisions"]["Communicable"] is True
    # The manifest's bytes give the same answer as the package.
    manifest = zipfile.ZipFile(interop_zip).read("manifest.xml")
    assert vas.compute_rules(REFERENTIALS, manifest, unit="AU2", at="2040-01-01") == before
    assert "decisions" not in vas.compute_rules(REFERENTIALS, manifest)["units"][0]


def test_rules_errors(tmp_path, interop_zip):
    with pytest.raises(vas.NotFoundError) as e:
        vas.compute_rules(REFERENTIALS, interop_zip, unit="NOPE")
    assert e.value.id == "NOPE"
    with pytest.raises(vas.InvalidInputError):
        vas.compute_rules(REFERENTIALS, interop_zip, at="not a date")
    with pytest.raises(vas.NotFoundError):
        vas.compute_rules(tmp_path / "none", interop_zip)
    with pytest.raises(vas.NotFoundError):
        vas.compute_rules(REFERENTIALS, tmp_path / "missing.zip")
    with pytest.raises(vas.XmlError):
        vas.compute_rules(REFERENTIALS, b"<ArchiveTransfer")
    # A rule the referential does not know: Vitam's code in .code.
    b = vas.SipBuilder("2.3", archival_agency="A", transferring_agency="T")
    b.add_unit("U").add_rule("AccessRule", "ACC-UNKNOWN")
    with pytest.raises(vas.VasError) as unknown:
        vas.compute_rules(REFERENTIALS, zipfile_manifest(b.to_bytes()))
    assert unknown.value.code, unknown.value
    with pytest.raises(TypeError):
        vas.compute_rules(REFERENTIALS, interop_zip, at=3.5)  # type: ignore[arg-type]


def zipfile_manifest(data: bytes) -> bytes:
    import io

    return zipfile.ZipFile(io.BytesIO(data)).read("manifest.xml")


def test_dry_run_context_is_checked(tmp_path):
    """`context=` is Vitam's security context: unknown, or not allowing the contract, is a KO."""
    b = vas.SipBuilder("2.3", archival_agency="Identifier0", transferring_agency="Identifier0",
                       archival_agreement="ArchivalAgreement0", originating_agency="Identifier0")
    b.add_unit("U", description_level="Item").add_object(b"x", filename="x.txt")
    sip = tmp_path / "ctx.zip"
    b.write(sip)

    def contract_step(context):
        report = vas.dry_run_ingest(sip, KO_REFS, context=context).report
        return [e["outDetail"] for e in report["events"] if e["evType"] == "CHECK_HEADER.CHECK_CONTRACT_INGEST"]

    assert contract_step(None) == ["CHECK_HEADER.CHECK_CONTRACT_INGEST.OK"]
    assert contract_step("Context_IT") == ["CHECK_HEADER.CHECK_CONTRACT_INGEST.OK"]
    assert contract_step("NOPE") == ["CHECK_HEADER.CHECK_CONTRACT_INGEST.CONTEXT_UNKNOWN.KO"]
