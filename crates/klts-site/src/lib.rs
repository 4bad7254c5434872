//! `klts-site` owns the LTS portal: what users of the program see. It turns the workspace,
//! the advisory database and the lifecycle calendar into [`data::SiteData`], renders it as
//! HTML pages and a JSON API ([`pages`]), writes it as a static site ([`export`]) and serves it
//! live ([`server`]), rebuilding when workspace files change.
//!
//! * [`data`] — the portal's data, built once per change; broken files become page errors.
//! * [`chart`] — the lifecycle chart (SVG).
//! * [`pages`] — routing and rendering (English, and Simplified Chinese under `/zh/`): one
//!   function from a path to a response, shared by the static build and the server, so both
//!   always show the same thing.
//! * [`program`] — several products' sites in one portal (`/containerd/…`,
//!   `/api/v1/containerd/…`), the main one at the root.
//! * [`export`] — `klts site build OUT`.
//! * [`server`] — `klts serve`.

pub mod chart;
pub mod data;
pub mod export;
pub mod pages;
pub mod program;
pub mod server;
