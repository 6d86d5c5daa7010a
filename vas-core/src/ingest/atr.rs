//! The ArchiveTransferReply (ATR), built as Vitam's `TransferNotificationActionHandler`
//! builds it: header copied from the SIP, `ReplyCode` = final status, the id → system-id
//! mapping when accepted, the KO/FATAL (or WARNING) events of the operation otherwise.
//!
//! One builder for the dry run and the archive, for every SEDA version (the SIP's
//! namespace): the dry run has no system ids yet and gives fresh ones (as Vitam's blank
//! test does), an archive ingest gives the ones it stored ([`AtrIds`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::dry_run::AtrInfo;
use super::{Report, Status};
use crate::ids::{IdGenerator, IdKind, format_ms};
use crate::xml::{escape_attr, escape_text};

const DEFAULT_NS: &str = "fr:gouv:culture:archivesdefrance:seda:v2.1";

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn leaf(out: &mut String, indent: &str, name: &str, value: &str) {
    let _ = writeln!(out, "{indent}<{name}>{}</{name}>", escape_text(value));
}

/// The identifiers an archive ingest gave: the operation (the ATR's `MessageIdentifier`)
/// and, once stored, each SIP id's unit, group or object system id.
pub(crate) struct AtrIds<'a> {
    /// The operation's system id.
    pub operation: &'a str,
    /// SIP id → system id of every unit, group and object stored (`None` when the
    /// operation stored nothing: a KO ATR carries no system ids).
    pub system_ids: Option<&'a BTreeMap<String, String>>,
}

/// Builds the ATR of a report. `test` prefixes the `ReplyCode` with `Test ` as Vitam's
/// blank test does.
pub(crate) fn build_atr(report: &Report, info: Option<&AtrInfo>, test: bool) -> String {
    build_atr_with(report, info, test, None)
}

/// Builds the ATR of a report with the archive's identifiers: `MessageIdentifier` is the
/// operation and, when accepted, each unit (`Content/SystemId`), group and object
/// (`DataObjectSystemId`, `DataObjectGroupSystemId`) carries the system id the archive
/// gave it, in Vitam's element order. A SIP id without a system id in `ids` is left out
/// (nothing of it was stored). Without `ids` (dry run) fresh ids are generated.
pub(crate) fn build_atr_with(
    report: &Report,
    info: Option<&AtrInfo>,
    test: bool,
    ids: Option<&AtrIds<'_>>,
) -> String {
    let default = AtrInfo::default();
    let info = info.unwrap_or(&default);
    let ns = if info.namespace.is_empty() {
        DEFAULT_NS
    } else {
        info.namespace.as_str()
    };
    let fresh = IdGenerator::new(0);
    let sys = ids.and_then(|i| i.system_ids);
    // The system id of a SIP id: the archive's, or (dry run) a fresh one.
    let id_of = |sip_id: &str, kind: IdKind| -> Option<String> {
        match ids {
            Some(_) => sys.and_then(|m| m.get(sip_id)).cloned(),
            None => Some(fresh.generate(kind).as_str().to_string()),
        }
    };
    let now = format_ms(now_ms());
    let mut x = String::with_capacity(4096);
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<ArchiveTransferReply xmlns=\"{}\" xmlns:xlink=\"http://www.w3.org/1999/xlink\">",
        escape_attr(ns)
    );
    leaf(&mut x, "  ", "Date", &now);
    let message_id = match ids {
        Some(i) => i.operation.to_string(),
        None => fresh.generate(IdKind::Operation).as_str().to_string(),
    };
    leaf(&mut x, "  ", "MessageIdentifier", &message_id);
    if let Some(a) = info.archival_agreement.as_deref().filter(|s| !s.is_empty()) {
        leaf(&mut x, "  ", "ArchivalAgreement", a);
    }
    x.push_str("  <CodeListVersions/>\n");
    // A KO ATR, or an archive ingest that stored nothing, has no system ids.
    let accepted = report.outcome.is_accepted() && ids.is_none_or(|i| i.system_ids.is_some());
    x.push_str("  <DataObjectPackage>\n");
    if accepted {
        for (g, objects) in &info.groups {
            let Some(gsys) = id_of(g, IdKind::ObjectGroup) else {
                continue;
            };
            let _ = writeln!(x, "    <DataObjectGroup id=\"{}\">", escape_attr(g));
            for (o, usage, binary) in objects {
                let tag = if *binary {
                    "BinaryDataObject"
                } else {
                    "PhysicalDataObject"
                };
                let Some(osys) = id_of(o, IdKind::Object) else {
                    continue;
                };
                let _ = writeln!(x, "      <{tag} id=\"{}\">", escape_attr(o));
                leaf(&mut x, "        ", "DataObjectSystemId", &osys);
                leaf(&mut x, "        ", "DataObjectGroupSystemId", &gsys);
                if let Some(u) = usage {
                    leaf(&mut x, "        ", "DataObjectVersion", u);
                }
                if *binary {
                    // required by the official XSD; Vitam's own ATR schema omits them
                    x.push_str("        <Uri/>\n");
                    x.push_str("        <MessageDigest algorithm=\"SHA-512\"/>\n");
                }
                let _ = writeln!(x, "      </{tag}>");
            }
            x.push_str("    </DataObjectGroup>\n");
        }
    }
    if accepted && !info.units.is_empty() {
        x.push_str("    <DescriptiveMetadata>\n");
        for u in &info.units {
            let Some(usys) = id_of(u, IdKind::Unit) else {
                continue;
            };
            let _ = writeln!(x, "      <ArchiveUnit id=\"{}\">", escape_attr(u));
            x.push_str("        <Content>\n");
            leaf(&mut x, "          ", "SystemId", &usys);
            x.push_str("        </Content>\n");
            x.push_str("      </ArchiveUnit>\n");
        }
        x.push_str("    </DescriptiveMetadata>\n");
    } else {
        x.push_str("    <DescriptiveMetadata/>\n");
    }
    x.push_str("    <ManagementMetadata/>\n");
    x.push_str("  </DataObjectPackage>\n");
    let code = if test {
        format!("Test {}", report.outcome)
    } else {
        report.outcome.to_string()
    };
    leaf(&mut x, "  ", "ReplyCode", &code);
    if report.outcome > Status::Ok {
        let keep = |s: Status| match report.outcome {
            Status::Warning => s == Status::Warning,
            _ => s >= Status::Ko,
        };
        let events: Vec<_> = report.events.iter().filter(|e| keep(e.outcome)).collect();
        if !events.is_empty() {
            x.push_str("  <Operation>\n");
            for e in events {
                x.push_str("    <Event>\n");
                leaf(&mut x, "      ", "EventTypeCode", &e.ev_type);
                leaf(
                    &mut x,
                    "      ",
                    "EventType",
                    super::codes::label(&e.ev_type).unwrap_or(&e.ev_type),
                );
                leaf(&mut x, "      ", "EventDateTime", &now);
                leaf(&mut x, "      ", "Outcome", e.outcome.as_str());
                leaf(&mut x, "      ", "OutcomeDetail", &e.out_detail);
                leaf(&mut x, "      ", "OutcomeDetailMessage", &e.out_messg);
                if let Some(d) = &e.ev_det_data {
                    leaf(&mut x, "      ", "EventDetailData", &d.to_string());
                }
                x.push_str("    </Event>\n");
            }
            x.push_str("  </Operation>\n");
        }
    }
    leaf(
        &mut x,
        "  ",
        "MessageRequestIdentifier",
        info.message_identifier.as_deref().unwrap_or("Unknown"),
    );
    leaf(&mut x, "  ", "GrantDate", &now);
    x.push_str("  <ArchivalAgency>\n");
    leaf(
        &mut x,
        "    ",
        "Identifier",
        info.archival_agency.as_deref().unwrap_or("Unknown"),
    );
    x.push_str("  </ArchivalAgency>\n  <TransferringAgency>\n");
    leaf(
        &mut x,
        "    ",
        "Identifier",
        info.transferring_agency.as_deref().unwrap_or("Unknown"),
    );
    x.push_str("  </TransferringAgency>\n</ArchiveTransferReply>\n");
    x
}
