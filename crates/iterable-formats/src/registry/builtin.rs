//! The formats built into this crate, one line each, in the order help and errors
//! list them. A format compiled out (its cargo feature off) is still listed: it is
//! detected, and opening it says which feature turns it on.

use super::FormatSpec;

/// Every built-in format.
pub static ALL: &[&FormatSpec] = &[
    &crate::csv::CSV,
    &crate::csv::TSV,
    &crate::csv::PSV,
    &crate::csv::SSV,
    // JSON-LD before JSON Lines and JSON: its documents say `@context`.
    &crate::jsonld::JSONLD,
    &crate::jsonl::JSONL,
    // GeoJSON before JSON: a FeatureCollection is a JSON object that says what it is.
    &crate::geojson::GEOJSON,
    &crate::geojson::GEOJSONL,
    &crate::geojson::GEOJSONSEQ,
    &crate::json::JSON,
    &crate::parquet::PARQUET,
    &crate::arrow_ipc::ARROW,
    &crate::avro::AVRO,
    &crate::orc::ORC,
    // ODS before XLSX: both are zip archives, ODS says so in its first member.
    &crate::xlsx::ODS,
    &crate::xlsx::XLSX,
    &crate::xlsx::XLSB,
    &crate::xlsx::XLS,
    // KML and GML before XML: XML documents that say what they are.
    &crate::geo_xml::KML,
    &crate::geo_xml::GML,
    &crate::xml::XML,
    &crate::yaml::YAML,
    &crate::bson::BSON,
    &crate::msgpack::MSGPACK,
    &crate::cbor::CBOR,
    &crate::ltsv::LTSV,
    &crate::toml::TOML,
    &crate::fixed_width::FIXED_WIDTH,
    &crate::access_log::ACCESS_LOG,
    &crate::line_protocol::LINE_PROTOCOL,
    &crate::config_files::INI,
    &crate::config_files::PROPERTIES,
    &crate::warc::WARC,
    &crate::dbf::DBF,
    &crate::documents::text::TEXT,
    &crate::documents::markdown::MARKDOWN,
    &crate::documents::html::HTML,
    &crate::documents::docx::DOCX,
    &crate::documents::mail::EML,
    &crate::documents::mail::MBOX,
    &crate::documents::pdf::PDF,
];
