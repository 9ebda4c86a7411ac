//! Outputs other than GraphQL, each over one served version of the site: the `check` report
//! (text or JSON, for CI).

pub mod check_report;

pub use check_report::CheckReport;
