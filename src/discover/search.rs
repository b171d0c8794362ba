//! Finding a boundary with few probes: a value is accepted up to some limit and refused beyond
//! it (or the other way round); double until the answer changes, then bisect.

use super::probe::ProbeError;

/// The largest `n` in `known..=cap` that `accepted` holds for, given it holds at `known` and
/// holds for every value below one it holds for.
pub async fn largest(
    known: i64,
    cap: i64,
    mut accepted: impl AsyncFnMut(i64) -> Result<bool, ProbeError>,
) -> Result<i64, ProbeError> {
    let (mut good, mut bad) = (known, None);
    let mut step = 1;
    while bad.is_none() {
        let next = good.saturating_add(step).min(cap);
        if next == good {
            return Ok(good);
        }
        if accepted(next).await? {
            good = next;
            step = step.saturating_mul(2);
        } else {
            bad = Some(next);
        }
    }
    let mut bad = bad.unwrap_or(cap);
    while bad - good > 1 {
        let mid = good + (bad - good) / 2;
        if accepted(mid).await? {
            good = mid;
        } else {
            bad = mid;
        }
    }
    Ok(good)
}

/// The smallest `n` in `floor..=known` that `accepted` holds for, given it holds at `known`
/// and for every value above one it holds for.
pub async fn smallest(
    floor: i64,
    known: i64,
    mut accepted: impl AsyncFnMut(i64) -> Result<bool, ProbeError>,
) -> Result<i64, ProbeError> {
    let mirrored = largest(-known, -floor, async |n| accepted(-n).await).await?;
    Ok(-mirrored)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn block<T>(future: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(future)
    }

    proptest! {
        #[test]
        fn both_searches_find_the_limit_in_few_probes(limit in 0i64..100_000, known_off in 0i64..50) {
            let known = limit.saturating_sub(known_off).max(0);
            let mut probes = 0;
            let found = block(largest(known, 200_000, async |n| { probes += 1; Ok(n <= limit) }));
            prop_assert_eq!(found.ok(), Some(limit));
            prop_assert!(probes <= 40, "{probes} probes");
            let above = limit + known_off;
            let found = block(smallest(0, above, async |n| Ok(n >= limit)));
            prop_assert_eq!(found.ok(), Some(limit));
        }

        #[test]
        fn a_limit_beyond_the_cap_is_the_cap(known in 0i64..100) {
            let found = block(largest(known, 100, async |_| Ok(true)));
            prop_assert_eq!(found.ok(), Some(100));
        }
    }
}
