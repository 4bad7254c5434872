//! CVSS v3.0 / v3.1 base scores and severities, computed with the rustsec `cvss` crate.

use crate::model::{Advisory, Severity};
use ::cvss::v3::Vector;

/// The base score of a CVSS v3.0 or v3.1 vector (`CVSS:3.1/AV:N/AC:L/…`).
///
/// `None` when the vector does not parse or lacks one of the eight base metrics (AV, AC, PR,
/// UI, S, C, I, A). Temporal and environmental metrics are accepted and do not change the
/// base score.
pub fn base_score(vector: &str) -> Option<f64> {
    let v: Vector = vector.trim().parse().ok()?;
    let complete = v.av.is_some()
        && v.ac.is_some()
        && v.pr.is_some()
        && v.ui.is_some()
        && v.s.is_some()
        && v.c.is_some()
        && v.i.is_some()
        && v.a.is_some();
    if !complete {
        return None;
    }
    let score = v.base_score().value();
    (score.is_finite() && (0.0..=10.0).contains(&score)).then_some(score)
}

impl Advisory {
    /// The CVSS v3 base score of the advisory's vector, when it has a valid one.
    pub fn score(&self) -> Option<f64> {
        self.cvss_v3.as_deref().and_then(base_score)
    }

    /// The severity band of [`Advisory::score`]; [`Severity::Unknown`] without a valid vector.
    pub fn severity(&self) -> Severity {
        self.score().map_or(Severity::Unknown, Severity::from_score)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_scores() {
        // Scores printed in the official Kubernetes CVE feed next to their vectors.
        for (vector, score, severity) in [
            // CVE-2023-2431: "rated LOW (…) (score: 3.4)"
            (
                "CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:N",
                3.4,
                Severity::Low,
            ),
            // CVE-2023-2878: "rated MEDIUM (…) (6.5)"
            (
                "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:C/C:H/I:N/A:N",
                6.5,
                Severity::Medium,
            ),
            // CVE-2020-8557: "Medium (5.5)", with environmental metrics
            (
                "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H/CR:H/IR:H/AR:M",
                5.5,
                Severity::Medium,
            ),
            // CVE-2017-1002101 (k8s OSV), CVSS 3.0: 8.8 High
            (
                "CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
                8.8,
                Severity::High,
            ),
            // CVE-2020-8554: "Medium"
            (
                "CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:L",
                6.3,
                Severity::Medium,
            ),
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
                10.0,
                Severity::Critical,
            ),
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N",
                0.0,
                Severity::None,
            ),
        ] {
            assert_eq!(base_score(vector), Some(score), "{vector}");
            let mut a = Advisory::new("CVE-0000-0000");
            a.cvss_v3 = Some(vector.to_string());
            assert_eq!(a.score(), Some(score));
            assert_eq!(a.severity(), severity, "{vector}");
        }
    }

    #[test]
    fn invalid_vectors() {
        for v in [
            "",
            "CVSS:3.1",
            "CVSS:3.1/AV:N",
            "CVSS:2.0/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
            "AV:N/AC:L/Au:N/C:P/I:P/A:P",
            "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:Q",
            "CVSS:3.1/AV:N/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            "garbage",
        ] {
            assert_eq!(base_score(v), None, "{v:?}");
        }
        let mut a = Advisory::new("CVE-0000-0000");
        assert_eq!(a.severity(), Severity::Unknown);
        a.cvss_v3 = Some("nonsense".into());
        assert_eq!(a.score(), None);
        assert_eq!(a.severity(), Severity::Unknown);
    }

    proptest::proptest! {
        #[test]
        fn prop_never_panics(s in proptest::prelude::any::<String>(), t in "CVSS:3\\.[01](/[A-Z]{1,3}:[A-Z]){0,10}") {
            let _ = base_score(&s);
            if let Some(x) = base_score(&t) {
                proptest::prop_assert!((0.0..=10.0).contains(&x));
            }
        }
    }
}
