use super::*;
use crate::trace::csv::{self, TimeOut, WriteOptions};
use crate::trace::read::ReadOptions;
use crate::yaml::{Source, parse};
use std::path::Path;

fn spec(yaml: &str) -> GeneratorSpec {
    parse::<GeneratorSpec>(&Source::from_string("g.yaml", yaml)).unwrap()
}

fn gen_with(yaml: &str, ctx: &GenContext) -> Trace {
    spec(yaml).build().unwrap().generate(ctx).unwrap()
}

fn gen_(yaml: &str) -> Trace {
    gen_with(
        yaml,
        &GenContext {
            seed: 42,
            start_time: None,
            duration: Some(3600.0),
        },
    )
}

fn build_err(yaml: &str) -> FieldError {
    spec(yaml).build().unwrap_err()
}

/// One spec per kind (and the composites), used by the round-trip and determinism tests.
const ALL_KINDS: &[&str] = &[
    "{kind: constant, rate: 12.5}",
    "{kind: step, from: 10, to: 40, at: 10m, step: 7s}",
    "{kind: ramp, from: 0, to: 300, at: 5m, over: 20m}",
    "{kind: spike, base: 50, peak: 400, at: 10m, rise: 30s, hold: 5m, decay: 2m}",
    "{kind: flash_crowd, base: 5, peak: 80, at: 1m, rise: 10s, decay: 1m, decay_curve: exponential}",
    "{kind: diurnal, min: 20, max: 200, peak_at: '14:00', weekend_factor: 0.5, step: 60s, duration: 7d}",
    "{kind: diurnal, profile: [1,1,1,1,1,2,4,8,10,10,10,10,9,9,9,9,8,8,6,4,3,2,1,1], step: 5m, duration: 2d}",
    "{kind: sawtooth, from: 0, to: 120, period: 15m}",
    "{kind: mmpp, rates: [20, 300], sojourn: [10m, 1m]}",
    "{kind: noise, cv: 0.3, of: {kind: constant, rate: 100}}",
    "{kind: noise, cv: 0.2, distribution: gamma, every: 1m, of: {kind: ramp, from: 10, to: 20}}",
    "{kind: sum, of: [{kind: constant, rate: 10}, {kind: spike, base: 0, peak: 50, at: 20m, hold: 1m}]}",
    "{kind: product, of: [{kind: diurnal, min: 0.5, max: 1.5}, {kind: constant, rate: 100}, {kind: noise, cv: 0.1, every: 10s}]}",
    "{kind: concat, of: [{kind: constant, rate: 5, duration: 10m}, {kind: ramp, from: 5, to: 50, duration: 10m}, {kind: mmpp, rates: [1, 9], sojourn: [30s, 30s]}]}",
];

#[test]
fn every_kind_round_trips_through_csv() {
    for s in ALL_KINDS {
        let t = gen_(s);
        assert!(t.rates.iter().all(|r| r.is_finite() && *r >= 0.0), "{s}");
        let text = csv::to_string(&t, &WriteOptions::default());
        let back =
            csv::parse(Path::new("g.csv"), text.as_bytes(), &ReadOptions::default()).unwrap();
        assert!(back.warnings.is_empty(), "{s}: {:?}", back.warnings);
        assert_eq!(back.trace, t, "{s}");
    }
}

#[test]
fn round_trip_keeps_start_time_as_rfc3339() {
    let start = DateTime::parse_from_rfc3339("2024-03-04T00:00:00+01:00").ok();
    let ctx = GenContext {
        seed: 1,
        start_time: start,
        duration: None,
    };
    let t = gen_with(
        "{kind: diurnal, min: 1, max: 9, duration: 2d, step: 10m}",
        &ctx,
    );
    assert_eq!(t.start_time, start);
    let text = csv::to_string(
        &t,
        &WriteOptions {
            time: TimeOut::Rfc3339,
            decimals: None,
        },
    );
    assert!(
        text.starts_with("time,rps\n2024-03-04T00:00:00+01:00,"),
        "{}",
        &text[..60]
    );
    let back = csv::parse(Path::new("g.csv"), text.as_bytes(), &ReadOptions::default())
        .unwrap()
        .trace;
    assert_eq!(back, t);
}

#[test]
fn seeded_and_deterministic() {
    for s in ALL_KINDS {
        let a = gen_(s);
        let b = gen_(s);
        assert_eq!(a, b, "{s}");
    }
    let ctx = |seed| GenContext {
        seed,
        start_time: None,
        duration: Some(3600.0),
    };
    let s = "{kind: mmpp, rates: [20, 300], sojourn: [10m, 1m]}";
    assert_ne!(gen_with(s, &ctx(1)), gen_with(s, &ctx(2)));
    // A node's stream depends on its own path only: adding a sibling after it leaves it alone.
    let one = gen_with(
        "{kind: sum, of: [{kind: noise, cv: 0.5, of: {kind: constant, rate: 10}}]}",
        &ctx(3),
    );
    let two = gen_with(
        "{kind: sum, of: [{kind: noise, cv: 0.5, of: {kind: constant, rate: 10}}, {kind: constant, rate: 0}]}",
        &ctx(3),
    );
    assert_eq!(one, two);
}

#[test]
fn spike_matches_the_brief() {
    let t = gen_("{kind: spike, base: 50, peak: 400, at: 10m, rise: 30s, hold: 5m, decay: 2m}");
    assert_eq!(t.times.len(), 3600);
    assert_eq!(t.rate_at(0.0), 50.0);
    assert!((t.rate_at(615.0) - (50.0 + 350.0 * 15.5 / 30.0)).abs() < 1e-9);
    assert_eq!(t.rate_at(700.0), 400.0);
    assert_eq!(t.rate_at(1200.0), 50.0);
    let excess = t.integral(0.0, 3600.0) - 50.0 * 3600.0;
    assert!(
        (excess - 350.0 * (15.0 + 300.0 + 60.0)).abs() < 1e-6,
        "{excess}"
    );
}

#[test]
fn step_ramp_and_sawtooth_values() {
    let t = gen_("{kind: step, from: 10, to: 40, at: 10m}");
    assert_eq!((t.rate_at(599.0), t.rate_at(600.0)), (10.0, 40.0));
    let t = gen_("{kind: ramp, from: 0, to: 100, step: 1m}");
    // Over the whole span by default: the bucket means are the midpoints.
    assert!((t.rates[0] - 100.0 / 120.0).abs() < 1e-9);
    assert!((t.mean_rate() - 50.0).abs() < 1e-9);
    let t = gen_("{kind: sawtooth, from: 0, to: 90, period: 90s, step: 30s}");
    for (r, e) in t.rates.iter().zip([15.0, 45.0, 75.0, 15.0]) {
        assert!((r - e).abs() < 1e-9, "{:?}", &t.rates[..4]);
    }
}

#[test]
fn diurnal_follows_the_wall_clock() {
    // Without a start time, t = 0 is Monday 00:00: the peak is at 14:00 and Saturday is halved.
    let t = gen_with(
        "{kind: diurnal, min: 10, max: 110, weekend_factor: 0.5, step: 1h}",
        &GenContext {
            duration: Some(7.0 * 86400.0),
            ..Default::default()
        },
    );
    let peak_hour = (0..24)
        .max_by(|&a, &b| t.rates[a].total_cmp(&t.rates[b]))
        .unwrap();
    assert!(peak_hour == 13 || peak_hour == 14, "{peak_hour}");
    assert!((t.rates[5 * 24 + 14] / t.rates[14] - 0.5).abs() < 1e-9);
    // Starting on a Saturday at 14:00 UTC, read in Tokyo (23:00 Saturday there).
    let ctx = GenContext {
        start_time: DateTime::parse_from_rfc3339("2024-03-09T14:00:00Z").ok(),
        duration: Some(26.0 * 3600.0),
        seed: 0,
    };
    let t = gen_with(
        "{kind: diurnal, min: 0, max: 100, timezone: Asia/Tokyo, weekend_factor: 0, step: 1h}",
        &ctx,
    );
    // Saturday 23:00 → Monday 00:00 in Tokyo is weekend (25 rows), then Monday.
    assert!(t.rates[..25].iter().all(|&r| r < 1e-9), "{:?}", t.rates);
    assert!(t.rates[25] > 0.0);
}

#[test]
fn mmpp_and_noise_have_the_right_means() {
    let ctx = GenContext {
        seed: 9,
        start_time: None,
        duration: Some(30.0 * 86400.0),
    };
    let t = gen_with(
        "{kind: mmpp, rates: [20, 300], sojourn: [10m, 1m], step: 1m}",
        &ctx,
    );
    let expect = (20.0 * 10.0 + 300.0) / 11.0;
    assert!(
        (t.mean_rate() / expect - 1.0).abs() < 0.03,
        "{} vs {expect}",
        t.mean_rate()
    );
    let t = gen_with(
        "{kind: noise, cv: 0.3, of: {kind: constant, rate: 100}, step: 1m}",
        &ctx,
    );
    assert!(
        (t.mean_rate() / 100.0 - 1.0).abs() < 0.01,
        "{}",
        t.mean_rate()
    );
    // A coarser noise step holds each factor over several rows.
    let t = gen_("{kind: noise, cv: 0.3, every: 1m, of: {kind: constant, rate: 100}}");
    assert_eq!(t.times.len(), 3600);
    assert_eq!(t.rates[0], t.rates[59]);
    assert_ne!(t.rates[59], t.rates[60]);
}

#[test]
fn composites() {
    let t = gen_(
        "{kind: sum, of: [{kind: constant, rate: 10}, {kind: step, from: 0, to: 5, at: 30m}]}",
    );
    assert_eq!((t.rate_at(0.0), t.rate_at(3000.0)), (10.0, 15.0));
    let t = gen_(
        "{kind: product, of: [{kind: constant, rate: 10}, {kind: step, from: 1, to: 3, at: 30m}]}",
    );
    assert_eq!(t.rate_at(3000.0), 30.0);
    let t = gen_with(
        "{kind: concat, of: [{kind: constant, rate: 5, duration: 10m}, {kind: spike, base: 1, peak: 9, at: 1m, hold: 1m, duration: 5m}]}",
        &GenContext::default(),
    );
    assert_eq!(t.end, 900.0);
    assert_eq!(t.rate_at(599.0), 5.0);
    assert_eq!(t.rate_at(600.0), 1.0);
    assert_eq!(t.rate_at(660.0), 9.0);
    // A part's own step is regridded onto the parent's.
    let t = gen_(
        "{kind: concat, step: 60s, of: [{kind: constant, rate: 1, duration: 90s}, {kind: constant, rate: 3}]}",
    );
    assert_eq!(t.rates[..3], [1.0, 2.0, 3.0]);
}

#[test]
fn spec_errors_name_the_field() {
    assert_eq!(
        build_err("{kind: spike, base: 1, peak: 2}").message,
        "kind `spike` needs `at` (fields: base, peak, at, [rise], [hold], [decay], [decay_curve], [step], [duration])"
    );
    let e = build_err("{kind: ramp, from: 1, to: 2, peak: 3}");
    assert_eq!(e.field, "peak");
    assert!(e.message.contains("does not apply to kind `ramp`"), "{e}");
    assert_eq!(build_err("{kind: spiky}").field, "kind");
    let e = build_err("{kind: sum, of: [{kind: constant, rate: 1}, {kind: constant, rate: -1}]}");
    assert_eq!(e.field, "of[1].rate");
    assert_eq!(e.path_under("trace.generate"), "trace.generate.of[1].rate");
    assert_eq!(
        build_err("{kind: concat, of: [{kind: constant, rate: 1}, {kind: constant, rate: 2}]}")
            .field,
        "of[0]"
    );
    assert_eq!(
        build_err("{kind: sum, of: [{kind: constant, rate: 1, duration: 1m}]}").field,
        "of[0].duration"
    );
    assert_eq!(
        build_err("{kind: mmpp, rates: [1, 2, 3], sojourn: [1s, 1s]}").field,
        "rates"
    );
    assert_eq!(
        build_err("{kind: diurnal, profile: [1, 2]}").field,
        "profile"
    );
    assert_eq!(
        build_err("{kind: diurnal, min: 1, max: 2, timezone: Mars/Olympus}").field,
        "timezone"
    );
    assert_eq!(
        build_err("{kind: sawtooth, from: 1, to: 2, period: 0}").field,
        "period"
    );
    let g = |y: &str| {
        spec(y)
            .build()
            .unwrap()
            .generate(&GenContext {
                duration: Some(3600.0),
                ..Default::default()
            })
            .unwrap_err()
    };
    assert_eq!(
        g("{kind: sawtooth, from: 0, to: 1, period: 1ms}").field,
        "period"
    );
    assert_eq!(
        g("{kind: mmpp, rates: [1, 2], sojourn: [1us, 1s]}").field,
        "sojourn"
    );
    let e = spec("{kind: constant, rate: 1}")
        .build()
        .unwrap()
        .generate(&GenContext::default())
        .unwrap_err();
    assert_eq!(e.field, "duration");
    let e = spec("{kind: constant, rate: 1, step: 1ms, duration: 30d}")
        .build()
        .unwrap()
        .generate(&GenContext::default())
        .unwrap_err();
    assert_eq!(e.field, "step");
}

#[test]
fn unknown_fields_are_located() {
    let src = Source::from_string(
        "g.yaml",
        "kind: spike\nbase: 1\npeak: 2\nat: 1m\nbogus: 3\n",
    );
    let e = parse::<GeneratorSpec>(&src).unwrap_err();
    assert_eq!(e.location.line, Some(5), "{e}");
    assert!(e.message.contains("unknown field `bogus`"), "{e}");
    let src = Source::from_string(
        "g.yaml",
        "kind: sum\nof:\n  - kind: constant\n    rate: fast\n",
    );
    let e = parse::<GeneratorSpec>(&src).unwrap_err();
    assert_eq!(e.location.line, Some(4), "{e}");
    assert_eq!(e.location.field.as_deref(), Some("of[0].rate"), "{e}");
}

#[test]
fn time_of_day() {
    assert_eq!(parse_time_of_day("14:00"), Ok(14.0 * 3600.0));
    assert_eq!(
        parse_time_of_day("07:30:15"),
        Ok(7.0 * 3600.0 + 30.0 * 60.0 + 15.0)
    );
    assert_eq!(parse_time_of_day("9h"), Ok(9.0 * 3600.0));
    assert!(parse_time_of_day("25:00").is_err());
    assert!(parse_time_of_day("2d").is_err());
}

#[test]
fn field_aliases_load_and_are_in_the_schema() {
    let schema = schemars::SchemaGenerator::default().into_root_schema_for::<GeneratorSpec>();
    let props = schema
        .get("properties")
        .and_then(|p| p.as_object())
        .unwrap();
    for (name, alias) in FIELD_ALIASES {
        assert_eq!(props.get(*name), props.get(*alias), "{alias}");
        let text = format!("kind: diurnal\n{alias}: 0.5\n");
        let spec = parse::<GeneratorSpec>(&Source::from_string("g.yaml", &text)).unwrap();
        let by_name = format!("kind: diurnal\n{name}: 0.5\n");
        assert_eq!(
            spec,
            parse::<GeneratorSpec>(&Source::from_string("g.yaml", &by_name)).unwrap()
        );
    }
}
