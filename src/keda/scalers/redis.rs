//! `redis`, `redis-cluster`, `redis-sentinel` list scalers (upstream pkg/scalers/redis_scaler.go):
//! the length of key `listName` by type (list → LLEN, missing → 0, set → SCARD, sorted set →
//! ZCARD, hash → HLEN, anything else → error). Target `listLength` (default 5); active ⇔
//! length > `activationListLength`. Metric `s<i>-redis-<listName>`. An address is required:
//! `address`/`addresses`, or equally many `host(s)` and `port(s)`.

use super::observation::{Observation, RedisKey};
use super::{BuildContext, Parts, ScalerKind, external, external_target_type, mismatch};
use crate::keda::catalog::{DelayClass, Signal};
use crate::keda::metric::{
    FetchError, FetchResult, Reading, indexed_name, normalize, target_milli_from_int,
};
use crate::keda::params::{AUTH, Got, META_AUTH_ENV, META_ENV_AUTH, Params, Spec};

#[derive(Debug, Clone, PartialEq)]
pub struct Redis {
    pub(crate) list_name: String,
    pub(crate) activation: i64,
}

impl Redis {
    pub(super) fn evaluate(&self, obs: &Observation) -> FetchResult {
        let len = match obs {
            Observation::Redis { key } => match key {
                RedisKey::Missing => 0,
                RedisKey::List(n)
                | RedisKey::Set(n)
                | RedisKey::SortedSet(n)
                | RedisKey::Hash(n) => *n,
                RedisKey::Other(t) => {
                    return Err(FetchError::new(format!("ERR unsupported key type: {t}")));
                }
            },
            Observation::Value { value } => *value as i64,
            other => return Err(mismatch("redis", other)),
        };
        Ok(Reading {
            value: len as f64,
            active: len > self.activation,
        })
    }
}

pub(super) fn build(p: &mut Params, ctx: &BuildContext) -> Option<Parts> {
    let target_type = external_target_type(p, ctx);
    let list_length = p.int(Spec::meta(&["listLength"]).default("5"), 64);
    let activation = p
        .int(Spec::meta(&["activationListLength"]).optional(), 64)
        .unwrap_or(0);
    let list_name = p.string(Spec::meta(&["listName"]));
    p.int(Spec::meta(&["databaseIndex"]).optional(), 64);
    let meta_tls = p.string(Spec::meta(&["enableTLS"]).optional());
    let auth_tls = p.string(Spec::new(&["tls"], AUTH).optional());
    let address_got = p.get(Spec::new(&["address", "addresses"], META_AUTH_ENV).optional());
    let addr_hidden = address_got == Got::Hidden;
    for k in [
        "username",
        "password",
        "sentinelUsername",
        "sentinelPassword",
        "sentinelMaster",
    ] {
        let names = [k];
        p.string(Spec::new(&names, META_ENV_AUTH).optional());
    }
    let hosts_got = p.get(Spec::new(&["host", "hosts"], META_ENV_AUTH).optional());
    let ports_got = p.get(Spec::new(&["port", "ports"], META_ENV_AUTH).optional());
    p.boolean(Spec::meta(&["unsafeSsl"]).default("false"));
    // validateRedisAddress
    let split = |g: &Got| g.value().map(|v| v.split(',').count()).unwrap_or(0);
    let (hosts, ports) = (split(&hosts_got), split(&ports_got));
    let hidden = hosts_got == Got::Hidden || ports_got == Got::Hidden;
    if hosts != 0 && ports != 0 && hosts != ports {
        p.error(Some("host"), "not enough hosts or ports given. number of hosts should be equal to the number of ports");
    } else {
        let first_address = address_got
            .value()
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .unwrap_or("");
        let has_address = !first_address.is_empty() || (hosts != 0 && ports != 0);
        if !has_address && !hidden && !addr_hidden {
            p.error(
                None,
                "no addresses or hosts given. address should be a comma separated list of host:port or set the host/port values",
            );
        }
    }
    if meta_tls.value().is_some() && auth_tls.is_present() {
        p.error(
            Some("enableTLS"),
            "unable to set `tls` in both ScaledObject and TriggerAuthentication together",
        );
    } else if let Some(t) = meta_tls.value()
        && crate::keda::go::parse_bool(t).is_none()
    {
        let t = t.to_string();
        p.error(
            Some("enableTLS"),
            format!("EnableTLS parsing error: {t:?} is not a boolean"),
        );
    }
    if !p.errors.is_empty() {
        return None;
    }
    let list_name = list_name.value()?.to_string();
    let (target_type, list_length) = (target_type?, list_length?);
    Some(Parts {
        metric: external(
            indexed_name(ctx.trigger_index, &normalize(&format!("redis-{list_name}"))),
            target_type,
            target_milli_from_int(list_length),
        ),
        activation: Some(activation as f64),
        signal: Signal::QueueBacklog {
            visible: true,
            in_flight: false,
            delayed: false,
        },
        delay: DelayClass::Direct,
        kind: ScalerKind::Redis(Redis {
            list_name,
            activation,
        }),
    })
}
