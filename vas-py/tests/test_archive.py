"""The embedded archive (vas.Archive): ingest, search, get, objects, DIP, logbook, verify,
audit and repair, errors.

Oracles: the original files of tests/interop/content (objects read back byte for byte),
hashlib (digests), zipfile (the DIP) and the strict SEDA validation of the DIP manifest.
"""

import hashlib
import io
import json
import pathlib
import shutil
import threading
import zipfile

import pytest

import vas
from conftest import REFERENTIALS, ROOT

CONTENT = ROOT / "tests" / "interop" / "content"
PV = (CONTENT / "proces-verbal.txt").read_bytes()
KO_SIP = ROOT / "tests" / "interop" / "ko" / "SIP_INCORRECT_ALGORITHM.zip"
CONTRACT = "AC-DEMO"
PV_QUERY = {"$query": {"$match": {"Title": "procès-verbal"}}}


@pytest.fixture
def archive(tmp_path, interop_zip):
    with vas.Archive.create(tmp_path / "archive", referentials=REFERENTIALS) as a:
        result = a.ingest(interop_zip)
        assert result.accepted, result.report
        yield a


def pv_unit(a: vas.Archive) -> str:
    hits = a.search(CONTRACT, PV_QUERY)
    assert hits["$hits"]["total"] == 1
    unit: str = hits["$results"][0]["#id"]
    return unit


def test_create_ingest_and_properties(tmp_path, interop_zip):
    with vas.Archive.create(tmp_path / "a", referentials=REFERENTIALS) as a:
        assert a.contracts == [CONTRACT] and a.offers == ["fs-1", "fs-2"] and a.tenant == 0
        assert a.dir.endswith("a") and not a.closed and "vas.Archive" in repr(a)
        r = a.ingest(interop_zip)
        assert r.accepted and bool(r) and r.outcome == "OK"
        assert r.operation_id and r.operation_id in repr(r)
        assert {"AU1", "AU2", "AU3", "BDO1", "BDO2", "BDO3"} <= set(r.system_ids)
        assert isinstance(r.report, dict) and r.report["outcome"] == "OK"
        assert "ArchiveTransferReply" in r.atr
        assert a.counts() == (3, 2)
    assert a.closed and "(closed)" in repr(a)
    with pytest.raises(vas.InvalidInputError, match="closed"):
        a.counts()
    a.close()  # twice is harmless
    # Reopened: the same content.
    with vas.Archive(tmp_path / "a") as b:
        assert b.counts() == (3, 2)
    with vas.Archive.open(str(tmp_path / "a")) as b:
        assert len(b.operations()) == 1


def test_archive_without_referentials_has_full_access(tmp_path, interop_zip):
    with vas.Archive.create(tmp_path / "a") as a:
        assert a.contracts == [vas.FULL_ACCESS] == ["FULL_ACCESS"]
        assert a.ingest(interop_zip).accepted
        assert a.search(vas.FULL_ACCESS, '{"$query": {"$match": {"Title": "annexe"}}}')["$hits"]["total"] == 1


def test_search_get_and_objects(archive, tmp_path):
    unit = pv_unit(archive)
    doc = archive.get_unit(CONTRACT, unit)
    assert doc["#id"] == unit and doc["Title"] == "Procès-verbal de la commission"
    info = archive.object_info(CONTRACT, unit)
    assert (info.usage, info.version, info.size) == ("BinaryMaster", 1, len(PV))
    assert info.algorithm == "SHA-512" and info.digest == hashlib.sha512(PV).hexdigest()
    assert info.format_id == "x-fmt/111" and "vas.ObjectInfo" in repr(info)
    assert archive.read_object(CONTRACT, unit) == PV
    with archive.open_object(CONTRACT, unit, "BinaryMaster") as stream:
        assert stream.info.id == info.id and stream.readable() and not stream.seekable()
        assert stream.read(10) == PV[:10]
        buf = bytearray(5)
        assert stream.readinto(buf) == 5 and bytes(buf) == PV[10:15]
        assert stream.read() == PV[15:]
        assert stream.read() == b""
    assert stream.closed and "(closed)" in repr(stream)
    with pytest.raises(vas.InvalidInputError, match="closed"):
        stream.read()
    # A file-like object: shutil and iteration work on it.
    out = io.BytesIO()
    shutil.copyfileobj(archive.open_object(CONTRACT, unit), out)
    assert out.getvalue() == PV
    assert b"".join(archive.open_object(CONTRACT, unit)) == PV
    dest = tmp_path / "pv.txt"
    exported = archive.export_object(CONTRACT, unit, dest)
    assert dest.read_bytes() == PV and exported.id == info.id
    # The annex has a dissemination version too.
    annex = archive.search(CONTRACT, {"$query": {"$match": {"Title": "annexe"}}})["$results"][0]["#id"]
    assert archive.read_object(CONTRACT, annex) == (CONTENT / "annexe.pdf").read_bytes()
    assert archive.read_object(CONTRACT, annex, "Dissemination") == (
        "Annexe financière (version de diffusion)\n".encode())


def test_dip(archive, tmp_path):
    out = tmp_path / "dip.zip"
    s = archive.dip(CONTRACT, {"$query": {"$match": {"Title": "annexe"}}}, out)
    assert s.units == 1 and s.objects == 2 and s.path == str(out) and "vas.DipSummary" in repr(s)
    with zipfile.ZipFile(out) as z:
        manifest = z.read("manifest.xml")
        contents = sorted(z.read(n) for n in z.namelist() if n.startswith("Content/"))
    assert contents == sorted([(CONTENT / "annexe.pdf").read_bytes(),
                               "Annexe financière (version de diffusion)\n".encode()])
    assert s.bytes == sum(len(c) for c in contents)
    assert b"ArchiveDeliveryRequestReply" in manifest
    assert s.message_identifier.encode() in manifest


def test_logbook_and_lifecycles(archive):
    ops = archive.operations()
    assert len(ops) == 1 and ops[0]["evTypeProc"] == "INGEST" and ops[0]["outcome"] == "OK"
    op = archive.operation(ops[0]["evIdProc"])
    assert op["evIdProc"] == ops[0]["evIdProc"] and op["events"]
    assert any(e["evType"] == "CHECK_DIGEST" for e in op["events"])
    unit = pv_unit(archive)
    lfc = archive.lifecycle(unit)
    assert lfc and all(e["obId"] == unit for e in lfc)
    group = archive.get_unit(CONTRACT, unit)["#object"]
    assert archive.lifecycle(group, "object_group")
    with pytest.raises(vas.InvalidInputError):
        archive.lifecycle(unit, "file")
    with pytest.raises(vas.NotFoundError):
        archive.operation("p-does-not-exist")
    reg = archive.accession_register(CONTRACT)
    assert reg and reg[0]["TotalUnits"] == 3 and reg[0]["OriginatingAgency"] == "SRV-MARCHES"


def test_ko_sip_leaves_only_its_operation(archive):
    r = archive.ingest(KO_SIP)
    assert not r.accepted and not r and r.outcome == "KO" and r.system_ids == {}
    assert archive.counts() == (3, 2)
    assert [o["outcome"] for o in archive.operations()] == ["OK", "KO"]


def test_verify_audit_and_repair(archive):
    v = archive.verify()
    assert v.ok and bool(v) and v.units == 3 and v.object_groups == 2
    assert v.object_copies == 6 and v.problems == [] and "ok=True" in repr(v)
    clean = archive.audit()
    assert clean.findings == [] and clean.all_repaired and clean.checked > 0
    # Corrupt the second copy of the pv on the second offer.
    copies = [p for p in pathlib.Path(archive.dir, "offers", "fs-2").rglob("*")
              if p.is_file() and PV in p.read_bytes()]
    assert len(copies) == 1
    raw = copies[0].read_bytes()
    copies[0].write_bytes(raw.replace(PV, PV.upper()))
    damaged = archive.verify()
    assert not damaged.ok and any("fs-2" in p for p in damaged.problems)
    found = archive.audit()
    assert found.findings and found.findings[0][0] == "fs-2" and not found.all_repaired
    repaired = archive.audit(repair=True)
    assert repaired.repaired >= 1 and repaired.all_repaired
    assert copies[0].read_bytes() == raw, "the copy is restored byte for byte"
    assert archive.verify().ok
    assert archive.rebuild() == (3, 2)
    assert archive.counts() == (3, 2)


def test_archive_errors(archive, tmp_path, interop_zip):
    unit = pv_unit(archive)
    with pytest.raises(vas.NotFoundError) as e:
        archive.search("NO-SUCH-CONTRACT", PV_QUERY)
    assert e.value.id == "NO-SUCH-CONTRACT" and isinstance(e.value, FileNotFoundError)
    with pytest.raises(vas.NotFoundError):
        archive.get_unit(CONTRACT, "u-unknown")
    with pytest.raises(vas.NotFoundError):
        archive.read_object(CONTRACT, unit, "Thumbnail")
    with pytest.raises(vas.NotFoundError):
        archive.open_object("NO-SUCH-CONTRACT", unit)
    with pytest.raises(vas.InvalidInputError):
        archive.search(CONTRACT, "{not json")
    with pytest.raises(TypeError):
        archive.search(CONTRACT, {"$query": object()})
    with pytest.raises(vas.VasError):
        archive.search(CONTRACT, {"$query": {"$frobnicate": 1}})
    with pytest.raises(vas.NotFoundError):
        archive.ingest(tmp_path / "missing.zip")
    # The folder is locked while open.
    with pytest.raises(vas.ConflictError):
        vas.Archive(archive.dir)
    with pytest.raises(vas.NotFoundError):
        vas.Archive(tmp_path / "not-an-archive")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "file").write_text("x")
    with pytest.raises(vas.VasError):
        vas.Archive.create(busy)
    with pytest.raises(vas.NotFoundError):
        archive.export_object(CONTRACT, unit, tmp_path / "no" / "such" / "dir" / "x")


def test_reads_release_the_gil(archive):
    """Concurrent reads from threads all succeed and agree."""
    unit = pv_unit(archive)
    results, errors = [], []

    def work():
        try:
            for _ in range(5):
                results.append(archive.read_object(CONTRACT, unit))
                archive.search(CONTRACT, PV_QUERY)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and results == [PV] * 20


def writing_referentials(tmp_path) -> pathlib.Path:
    """examples/referentials plus an access contract with writing permission (AC-ELIM)."""
    refs = tmp_path / "refs"
    shutil.copytree(REFERENTIALS, refs)
    contracts = json.loads((refs / "access-contracts.json").read_text(encoding="utf-8"))
    contracts.append(dict(contracts[0], Identifier="AC-ELIM", Name="Élimination", WritingPermission=True))
    (refs / "access-contracts.json").write_text(json.dumps(contracts), encoding="utf-8")
    return refs


def test_eliminate_analysis_action_and_rebuild(tmp_path, interop_zip):
    # The interop dossier has APP-MARCHE-10 (10 years) from 2025-03-03, final action
    # Destroy; its two children inherit it.
    with vas.Archive.create(tmp_path / "a", referentials=writing_referentials(tmp_path)) as a:
        ingested = a.ingest(interop_zip)
        assert ingested.accepted
        objects = sum(1 for k in ingested.system_ids if k.startswith("BDO"))
        everything = {"$query": {}}
        before = a.eliminate(CONTRACT, everything, date="2030-01-01", dry_run=True)
        assert before["dry_run"] and before["operation_id"] is None and before["date"] == "2030-01-01"
        assert [u["GlobalStatus"] for u in before["units"]] == ["KEEP"] * 3
        assert all("APPRAISAL_RULE_NOT_EXPIRED" in u["Reasons"] for u in before["units"])
        assert before["eliminated_units"] == []
        after = a.eliminate(CONTRACT, everything, date="2036-01-01", dry_run=True)
        assert [u["GlobalStatus"] for u in after["units"]] == ["DESTROY"] * 3
        assert len(after["eliminated_units"]) == 3 and a.counts() == (3, 2)  # nothing written
        # AC-DEMO has no writing permission.
        with pytest.raises(vas.DeniedError, match="writing permission"):
            a.eliminate(CONTRACT, everything, date="2036-01-01")
        with pytest.raises(vas.InvalidInputError):
            a.eliminate("AC-ELIM", everything, date="2036-13-45")
        done = a.eliminate("AC-ELIM", everything, date="2036-01-01")
        assert not done["dry_run"] and done["operation_id"]
        assert sorted(done["eliminated_units"]) == sorted(u["UnitId"] for u in after["units"])
        assert len(done["eliminated_object_groups"]) == 2
        assert done["deleted_objects"] == objects and done["deleted_bytes"] > len(PV)
        assert a.counts() == (0, 0)
        assert a.search(CONTRACT, PV_QUERY)["$hits"]["total"] == 0
        assert a.operation(done["operation_id"])["evType"] == "ELIMINATION_ACTION"
        assert a.verify().ok
        # The offers keep tombstones: the rebuilt catalog does not bring the units back.
        assert a.rebuild() == (0, 0)


def test_elimination_report_of_a_partial_elimination(tmp_path, interop_zip):
    # Eliminating the dossier and its procès-verbal at 2036-01-01 (APP-MARCHE-10 ended,
    # Destroy): the procès-verbal is deleted, the dossier kept for its other child (the
    # annex, not selected): NON_DESTROYABLE_HAS_CHILD_UNITS. The report read back from the
    # offers must say so, unit by unit, and agree with what eliminate returned.
    with vas.Archive.create(tmp_path / "a", referentials=writing_referentials(tmp_path)) as a:
        ingested = a.ingest(interop_zip)
        assert ingested.accepted
        pv = pv_unit(a)
        dossier = ingested.system_ids["AU1"]
        annex = ingested.system_ids["AU3"]
        assert a.get_unit(CONTRACT, dossier)["Title"].startswith("Marché 2025-017")
        assert a.get_unit(CONTRACT, annex)["Title"] != a.get_unit(CONTRACT, pv)["Title"]
        query = {"$query": {"$in": {"#id": [dossier, pv]}}}
        done = a.eliminate("AC-ELIM", query, date="2036-01-01")
        assert done["eliminated_units"] == [pv]
        verdicts = {u["UnitId"]: (u["GlobalStatus"], u["Status"]) for u in done["units"]}
        assert verdicts == {
            pv: ("DESTROY", "DELETED"),
            dossier: ("DESTROY", "NON_DESTROYABLE_HAS_CHILD_UNITS"),
        }
        op = done["operation_id"]

        report = a.elimination_report(op)
        assert isinstance(report, dict)
        assert report["operationSummary"]["evId"] == op
        assert report["operationSummary"]["evType"] == "ELIMINATION_ACTION"
        assert report["context"]["EliminationDate"] == "2036-01-01"
        units = {u["id"]: u["params"] for u in report["units"]}
        assert set(units) == {pv, dossier} and annex not in units
        assert units[pv]["status"] == "DELETED" and units[pv]["globalStatus"] == "DESTROY"
        assert units[pv]["reasons"] == []
        assert units[dossier]["status"] == "NON_DESTROYABLE_HAS_CHILD_UNITS"
        assert "NON_DESTROYABLE_HAS_CHILD_UNITS" in units[dossier]["reasons"]
        assert units[pv]["opi"] == ingested.operation_id
        assert units[pv]["originatingAgency"] == "SRV-MARCHES"
        groups = {g["id"]: g["params"] for g in report["objectGroups"]}
        assert list(groups) == done["eliminated_object_groups"] == [units[pv]["objectGroupId"]]
        assert groups[units[pv]["objectGroupId"]]["status"] == "DELETED"
        assert report["reportSummary"]["extendedInfo"]["deletedObjects"] == done["deleted_objects"] == 1
        # What was kept is still there; what was deleted is not.
        assert a.get_unit(CONTRACT, dossier)["#id"] == dossier
        with pytest.raises(vas.NotFoundError):
            a.get_unit(CONTRACT, pv)

        # An unknown operation, and one without a report (the ingest): NotFoundError.
        with pytest.raises(vas.NotFoundError) as unknown:
            a.elimination_report("aeeaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
        assert unknown.value.kind == "NotFound"
        with pytest.raises(vas.NotFoundError, match="has no report"):
            a.elimination_report(ingested.operation_id)
    with pytest.raises(vas.InvalidInputError, match="closed"):
        a.elimination_report(op)
