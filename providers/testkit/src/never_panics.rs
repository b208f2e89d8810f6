//! The property every provider keeps: no input panics. A crate's tests pick
//! their own inputs (event names, content types, fields) and verdicts; the
//! strategies every crate uses, and the number of cases, are here.

use proptest::prelude::*;
use proptest::sample::Index;
#[cfg(test)]
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

/// Cases per property.
pub const CASES: u32 = 2_000;

/// The configuration of a never-panics property.
pub fn config() -> Config {
    Config::with_cases(CASES)
}

/// Any bytes up to 512 long.
pub fn arbitrary_body() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..512)
}

/// Random bytes rarely get past the first `{`: a few bytes of a real body
/// overwritten, then the body cut somewhere, reach the deeper code.
#[derive(Debug, Clone)]
pub struct Damage {
    edits: Vec<(Index, u8)>,
    cut: Index,
}

/// One to seven overwritten bytes and a cut.
pub fn damage() -> impl Strategy<Value = Damage> {
    (
        proptest::collection::vec((any::<Index>(), any::<u8>()), 1..8),
        any::<Index>(),
    )
        .prop_map(|(edits, cut)| Damage { edits, cut })
}

impl Damage {
    /// `body` with the damage done.
    pub fn apply(&self, body: &[u8]) -> Vec<u8> {
        let mut body = body.to_vec();
        if !body.is_empty() {
            for (at, byte) in &self.edits {
                let index = at.index(body.len());
                body[index] = *byte;
            }
        }
        body.truncate(self.cut.index(body.len() + 1));
        body
    }
}

/// Runs `test` on [`CASES`] values of `strategy`, failing (with the smallest
/// failing value proptest finds) when it panics.
pub fn check<S: Strategy>(strategy: S, test: impl Fn(S::Value)) {
    let mut runner = TestRunner::new(config());
    if let Err(failure) = runner.run(&strategy, |value| {
        test(value);
        Ok(())
    }) {
        panic!("{failure}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damage_stays_within_the_body() {
        check((damage(), arbitrary_body()), |(damage, body)| {
            let damaged = damage.apply(&body);
            assert!(damaged.len() <= body.len());
        });
    }

    #[test]
    fn damage_changes_bodies() {
        let mut changed = false;
        let mut runner = TestRunner::deterministic();
        for _ in 0..100 {
            let damage = damage().new_tree(&mut runner).expect("a value").current();
            changed |= damage.apply(b"{\"a\":\"bcdefgh\"}") != b"{\"a\":\"bcdefgh\"}";
        }
        assert!(changed);
    }

    #[test]
    #[should_panic]
    fn a_panic_fails_the_check() {
        check(arbitrary_body(), |body| assert!(body.len() < 10));
    }
}
