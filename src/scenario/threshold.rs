//! Load thresholds as written, `p99(check_code) < 50ms`: the metric, the comparison and the
//! bound (ms, %, or flows/s).

use super::load_spec::{Comparison, Metric, Samples};

/// Parses a threshold like `p99(check_code) < 50ms`, `raw_p50(flow) <= 20ms`,
/// `p99(flow, all) < 1s`, `p99(2 reset_password, ko) < 50ms`, `error_rate < 1%`,
/// `throughput >= 100`, `late_share < 5%`.
pub fn parse_threshold(text: &str) -> Result<(Metric, Comparison, f64), String> {
    let (left, op, right) = ["<=", ">=", "<", ">"]
        .iter()
        .find_map(|op| text.split_once(op).map(|(l, r)| (l.trim(), *op, r.trim())))
        .ok_or("a threshold compares with <, <=, > or >=, like `p99(check_code) < 50ms`")?;
    let op = match op {
        "<" => Comparison::Less,
        "<=" => Comparison::LessOrEqual,
        ">" => Comparison::Greater,
        _ => Comparison::GreaterOrEqual,
    };
    let metric = match left {
        "error_rate" => Metric::ErrorRate,
        "throughput" => Metric::Throughput,
        "late_share" => Metric::LateShare,
        other => {
            let (raw, rest) = match other.strip_prefix("raw_") {
                Some(rest) => (true, rest),
                None => (false, other),
            };
            let (name, of) = rest
                .strip_suffix(')')
                .and_then(|r| r.split_once('('))
                .ok_or_else(|| format!("unknown metric `{other}`: use pNN(step), raw_pNN(step), error_rate, throughput or late_share"))?;
            let percentile: f64 = name
                .strip_prefix('p')
                .and_then(|p| {
                    if p.len() > 2 && p.starts_with("99") {
                        format!("99.{}", &p[2..]).parse().ok()
                    } else {
                        p.parse().ok()
                    }
                })
                .filter(|p: &f64| (0.0..=100.0).contains(p))
                .ok_or_else(|| format!("`{name}` is not a percentile like p50, p99 or p999"))?;
            let (of, samples) = samples_of(of);
            Metric::Percentile {
                of: of.to_owned(),
                percentile,
                raw,
                samples,
            }
        }
    };
    let value = match &metric {
        Metric::Percentile { .. } => {
            let duration = humantime::parse_duration(right)
                .map_err(|e| format!("`{right}` is not a duration like 50ms: {e}"))?;
            duration.as_secs_f64() * 1000.0
        }
        Metric::ErrorRate | Metric::LateShare => right
            .strip_suffix('%')
            .and_then(|p| p.trim().parse::<f64>().ok())
            .ok_or_else(|| format!("`{right}` is not a percentage like 1%"))?,
        Metric::Throughput => right
            .trim_end_matches("/s")
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("`{right}` is not a number of flows per second"))?,
    };
    Ok((metric, op, value))
}

/// `flow, ko` → (`flow`, KO); without a known selector after the last comma, OK samples (a
/// step's name may hold a comma).
fn samples_of(of: &str) -> (&str, Samples) {
    let selected = of.rsplit_once(',').and_then(|(name, which)| {
        let samples = match which.trim() {
            "ok" => Samples::Ok,
            "ko" => Samples::Ko,
            "all" => Samples::All,
            _ => return None,
        };
        Some((name.trim(), samples))
    });
    selected.unwrap_or((of.trim(), Samples::Ok))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_parse() {
        assert_eq!(
            parse_threshold("p99(check_code) < 50ms"),
            Ok((
                Metric::Percentile {
                    of: "check_code".into(),
                    percentile: 99.0,
                    raw: false,
                    samples: Samples::Ok,
                },
                Comparison::Less,
                50.0
            ))
        );
        assert_eq!(
            parse_threshold("raw_p999(flow) <= 1s"),
            Ok((
                Metric::Percentile {
                    of: "flow".into(),
                    percentile: 99.9,
                    raw: true,
                    samples: Samples::Ok,
                },
                Comparison::LessOrEqual,
                1000.0
            ))
        );
        assert_eq!(
            parse_threshold("error_rate < 1%"),
            Ok((Metric::ErrorRate, Comparison::Less, 1.0))
        );
        assert_eq!(
            parse_threshold("throughput >= 100/s"),
            Ok((Metric::Throughput, Comparison::GreaterOrEqual, 100.0))
        );
        let of = |text: &str| match parse_threshold(text) {
            Ok((Metric::Percentile { of, samples, .. }, _, _)) => (of, samples),
            other => panic!("{other:?}"),
        };
        assert_eq!(of("p99(flow, all) < 1s"), ("flow".into(), Samples::All));
        assert_eq!(
            of("p50(2 reset_password , ko) < 1s"),
            ("2 reset_password".into(), Samples::Ko)
        );
        assert_eq!(of("p50(a, b) < 1s"), ("a, b".into(), Samples::Ok));
        assert!(parse_threshold("p101(flow) < 1ms").is_err());
        assert!(parse_threshold("latency < 1ms").is_err());
        assert!(parse_threshold("error_rate < 1").is_err());
    }
}
