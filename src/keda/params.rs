//! Reading trigger parameters the way KEDA's typed scaler config does
//! (`pkg/scalers/scalersconfig/typed_config.go`): each parameter has names, an order of sources
//! (trigger metadata, the target container's env via `<name>FromEnv`, the
//! TriggerAuthentication's params), and may be optional, defaulted, enumerated or
//! deprecated-and-removed. Values are trimmed; an empty value counts as absent.
//!
//! scalesim rarely sees env and auth values: a parameter that KEDA would read from a source
//! scalesim cannot see is [`Got::Hidden`] (present, value unknown) and is reported as
//! unchecked instead of failing.

use std::collections::{BTreeMap, BTreeSet};

/// A place KEDA reads a parameter from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    Meta,
    Env,
    Auth,
}

use Order::{Auth, Env, Meta};

/// What scalesim knows about the scale target container's environment.
#[derive(Debug, Clone, Default)]
pub enum EnvKnowledge {
    /// The workload was not given: `*FromEnv` values are unknown.
    #[default]
    Unknown,
    /// The container's env: literal values, or `None` for `valueFrom`/`envFrom` (hidden).
    Known(BTreeMap<String, Option<String>>),
}

/// What scalesim knows about a trigger's authentication.
#[derive(Debug, Clone, Default)]
pub enum AuthKnowledge {
    /// No `authenticationRef`: there are no auth params and no pod identity.
    #[default]
    None,
    /// An `authenticationRef` whose TriggerAuthentication was not given.
    Unknown { name: String },
    /// The referenced TriggerAuthentication: which parameters it provides (values hidden) and
    /// its pod identity provider.
    Known {
        name: String,
        params: BTreeSet<String>,
        pod_identity: Option<String>,
    },
}

impl AuthKnowledge {
    /// The pod identity provider: `Some(Some(p))` known, `Some(None)` known to be none,
    /// `None` unknown.
    pub(crate) fn pod_identity(&self) -> Option<Option<&str>> {
        match self {
            AuthKnowledge::None => Some(None),
            AuthKnowledge::Unknown { .. } => None,
            AuthKnowledge::Known { pod_identity, .. } => Some(
                pod_identity
                    .as_deref()
                    .filter(|p| !p.is_empty() && *p != "none"),
            ),
        }
    }
}

/// The outcome of looking up one parameter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Got {
    Value(String),
    /// Provided by a source scalesim cannot read (env of an absent workload, a secret).
    Hidden,
    Absent,
}

impl Got {
    pub(crate) fn value(&self) -> Option<&str> {
        match self {
            Got::Value(v) => Some(v),
            _ => None,
        }
    }
    pub(crate) fn is_present(&self) -> bool {
        !matches!(self, Got::Absent)
    }
}

/// One problem with a parameter. `key` is the metadata key to point at (None: the metadata map).
#[derive(Debug, Clone, PartialEq)]
pub struct ParamIssue {
    pub(crate) key: Option<String>,
    pub(crate) message: String,
}

/// How one parameter is declared (mirrors the `keda:"…"` struct tag).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec<'s> {
    pub(crate) names: &'s [&'s str],
    pub(crate) order: &'s [Order],
    pub(crate) optional: bool,
    pub(crate) default: Option<&'s str>,
    pub(crate) deprecated: Option<&'s str>,
    pub(crate) enumeration: Option<&'s [&'s str]>,
    pub(crate) separator: Option<&'s str>,
}

impl<'s> Spec<'s> {
    pub(crate) const fn new(names: &'s [&'s str], order: &'s [Order]) -> Self {
        Spec {
            names,
            order,
            optional: false,
            default: None,
            deprecated: None,
            enumeration: None,
            separator: None,
        }
    }
    /// A metadata-only parameter.
    pub(crate) const fn meta(names: &'s [&'s str]) -> Self {
        Spec::new(names, &[Meta])
    }
    pub(crate) const fn optional(mut self) -> Self {
        self.optional = true;
        self
    }
    pub(crate) const fn default(mut self, d: &'s str) -> Self {
        self.default = Some(d);
        self
    }
    pub(crate) const fn deprecated(mut self, why: &'s str) -> Self {
        self.deprecated = Some(why);
        self
    }
    pub(crate) const fn one_of(mut self, values: &'s [&'s str]) -> Self {
        self.enumeration = Some(values);
        self
    }
    pub(crate) const fn separator(mut self, sep: &'s str) -> Self {
        self.separator = Some(sep);
        self
    }
    fn name(&self) -> String {
        self.names.join(",")
    }
}

pub(crate) const META_ENV: &[Order] = &[Meta, Env];
pub(crate) const META_AUTH: &[Order] = &[Meta, Auth];
pub(crate) const AUTH: &[Order] = &[Auth];
pub(crate) const AUTH_META: &[Order] = &[Auth, Meta];
pub(crate) const META_AUTH_ENV: &[Order] = &[Meta, Auth, Env];
pub(crate) const META_ENV_AUTH: &[Order] = &[Meta, Env, Auth];
pub(crate) const AUTH_ENV: &[Order] = &[Auth, Env];
pub(crate) const AUTH_META_ENV: &[Order] = &[Auth, Meta, Env];

/// Parameter reader for one trigger. Collects every problem (KEDA joins all errors too).
#[derive(Debug)]
pub(crate) struct Params<'a> {
    pub(crate) trigger_type: &'a str,
    pub(crate) metadata: &'a BTreeMap<String, String>,
    pub(crate) env: &'a EnvKnowledge,
    pub(crate) auth: &'a AuthKnowledge,
    pub(crate) errors: Vec<ParamIssue>,
    pub(crate) unchecked: Vec<ParamIssue>,
    /// Accepted, but probably not what was meant (or not enough to simulate).
    pub(crate) warnings: Vec<ParamIssue>,
    used: BTreeSet<String>,
}

impl<'a> Params<'a> {
    pub(crate) fn new(
        trigger_type: &'a str,
        metadata: &'a BTreeMap<String, String>,
        env: &'a EnvKnowledge,
        auth: &'a AuthKnowledge,
    ) -> Self {
        Params {
            trigger_type,
            metadata,
            env,
            auth,
            errors: Vec::new(),
            unchecked: Vec::new(),
            warnings: Vec::new(),
            used: BTreeSet::new(),
        }
    }

    pub(crate) fn error(&mut self, key: Option<&str>, message: impl Into<String>) {
        self.errors.push(ParamIssue {
            key: key.map(str::to_string),
            message: message.into(),
        });
    }

    pub(crate) fn warn(&mut self, key: Option<&str>, message: impl Into<String>) {
        self.warnings.push(ParamIssue {
            key: key.map(str::to_string),
            message: message.into(),
        });
    }

    pub(crate) fn unchecked(&mut self, key: Option<&str>, message: impl Into<String>) {
        self.unchecked.push(ParamIssue {
            key: key.map(str::to_string),
            message: message.into(),
        });
    }

    /// Declare metadata keys the scaler reads outside the typed config (so they are not
    /// reported as ignored).
    pub(crate) fn mark_used(&mut self, keys: &[&str]) {
        for k in keys {
            self.used.insert((*k).to_string());
        }
    }

    /// Metadata keys this scaler never reads (KEDA ignores them silently).
    pub(crate) fn ignored_keys(&self) -> Vec<String> {
        self.metadata
            .keys()
            .filter(|k| {
                let base = k.strip_suffix("FromEnv").unwrap_or(k);
                !self.used.contains(k.as_str()) && !self.used.contains(base)
            })
            .cloned()
            .collect()
    }

    /// A raw metadata value (trimmed; empty counts as absent), as scalers that read
    /// `TriggerMetadata[...]` directly see it.
    pub(crate) fn raw(&mut self, key: &str) -> Option<String> {
        self.used.insert(key.to_string());
        self.metadata
            .get(key)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// The key to point an error at for this spec: the first name present in metadata.
    fn key_for(&self, spec: &Spec) -> Option<String> {
        for n in spec.names {
            if self.metadata.contains_key(*n) {
                return Some((*n).to_string());
            }
            let fe = format!("{n}FromEnv");
            if self.metadata.contains_key(&fe) {
                return Some(fe);
            }
        }
        None
    }

    fn find(&mut self, spec: &Spec) -> Got {
        let mut maybe_hidden = false;
        for order in spec.order {
            for name in spec.names {
                self.used.insert((*name).to_string());
                match order {
                    Meta => {
                        if let Some(v) = self.metadata.get(*name) {
                            let v = v.trim();
                            if !v.is_empty() {
                                return Got::Value(v.to_string());
                            }
                        }
                    }
                    Auth => match self.auth {
                        AuthKnowledge::None => {}
                        AuthKnowledge::Unknown { .. } => maybe_hidden = true,
                        AuthKnowledge::Known { params, .. } => {
                            if params.contains(*name) {
                                return Got::Hidden;
                            }
                        }
                    },
                    Env => {
                        let key = format!("{name}FromEnv");
                        let Some(var) = self.metadata.get(&key).map(|v| v.trim().to_string())
                        else {
                            continue;
                        };
                        if var.is_empty() {
                            continue;
                        }
                        match self.env {
                            EnvKnowledge::Unknown => return Got::Hidden,
                            EnvKnowledge::Known(env) => match env.get(&var) {
                                Some(Some(v)) if !v.trim().is_empty() => {
                                    return Got::Value(v.trim().to_string());
                                }
                                Some(None) => return Got::Hidden,
                                _ => {}
                            },
                        }
                    }
                }
            }
        }
        if maybe_hidden {
            Got::Hidden
        } else {
            Got::Absent
        }
    }

    /// Look a parameter up and apply deprecated/default/required/enum rules.
    pub(crate) fn get(&mut self, spec: Spec) -> Got {
        let found = self.find(&spec);
        let key = self.key_for(&spec);
        if let (Got::Value(_), Some(why)) = (&found, spec.deprecated) {
            self.error(
                key.as_deref(),
                format!("scaler {} info: {why}", self.trigger_type),
            );
            return Got::Absent;
        }
        let found = match found {
            Got::Absent => match spec.default {
                Some(d) => Got::Value(d.to_string()),
                None => {
                    if !spec.optional && spec.deprecated.is_none() {
                        let sources: Vec<&str> = spec
                            .order
                            .iter()
                            .map(|o| match o {
                                Meta => "triggerMetadata",
                                Env => "resolvedEnv",
                                Auth => "authParams",
                            })
                            .collect();
                        self.error(
                            None,
                            format!(
                                "missing required parameter {:?} in [{}]",
                                spec.name(),
                                sources.join(" ")
                            ),
                        );
                    }
                    return Got::Absent;
                }
            },
            Got::Hidden if spec.optional || spec.default.is_some() => return Got::Hidden,
            Got::Hidden => {
                let from = match (self.auth, self.env) {
                    (AuthKnowledge::Unknown { name }, _) if spec.order.contains(&Auth) => {
                        format!("may come from TriggerAuthentication {name:?}, which was not given")
                    }
                    (AuthKnowledge::Known { name, .. }, _) if spec.order.contains(&Auth) => {
                        format!(
                            "comes from TriggerAuthentication {name:?} (a secret value scalesim cannot see)"
                        )
                    }
                    _ => "comes from the target container's environment, which scalesim cannot see"
                        .to_string(),
                };
                self.unchecked(
                    key.as_deref(),
                    format!(
                        "parameter {:?} {from}; its value is not checked",
                        spec.name()
                    ),
                );
                return Got::Hidden;
            }
            v => v,
        };
        if let (Got::Value(v), Some(allowed)) = (&found, spec.enumeration) {
            let sep = spec.separator.unwrap_or(",");
            if v.split(sep)
                .map(str::trim)
                .any(|part| !allowed.contains(&part))
            {
                self.error(
                    key.as_deref(),
                    format!(
                        "parameter {:?} value {v:?} must be one of [{}]",
                        spec.name(),
                        allowed.join(" ")
                    ),
                );
                return Got::Absent;
            }
        }
        found
    }

    /// A string parameter.
    pub(crate) fn string(&mut self, spec: Spec) -> Got {
        self.get(spec)
    }

    /// A parameter parsed by `parse`; a parse error is reported as KEDA's typed config does
    /// (`unable to set param …`) and yields `None`, as does an absent or hidden value.
    fn parsed<T>(
        &mut self,
        spec: Spec,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let key = self.key_for(&spec);
        match self.get(spec) {
            Got::Value(v) => match parse(&v) {
                Ok(x) => Some(x),
                Err(e) => {
                    self.error(
                        key.as_deref(),
                        format!("unable to set param {:?} value {v:?}: {e}", spec.name()),
                    );
                    None
                }
            },
            _ => None,
        }
    }

    /// An integer parameter (`json.Unmarshal` into an int of `bits`).
    pub(crate) fn int(&mut self, spec: Spec, bits: u32) -> Option<i64> {
        self.parsed(spec, |v| super::go::json_int(v, bits))
    }

    /// A float parameter (`json.Unmarshal` into a float64).
    pub(crate) fn float(&mut self, spec: Spec) -> Option<f64> {
        self.parsed(spec, super::go::json_float)
    }

    /// A boolean parameter (`strconv.ParseBool`).
    pub(crate) fn boolean(&mut self, spec: Spec) -> Option<bool> {
        self.parsed(spec, |v| {
            super::go::parse_bool(v).ok_or_else(|| "unable to parse boolean value".to_string())
        })
    }

    /// A duration parameter (Go duration string or milliseconds), in seconds.
    pub(crate) fn duration(&mut self, spec: Spec) -> Option<f64> {
        self.parsed(spec, super::go::typed_config_duration)
    }

    /// A list parameter split on the spec's separator (default `,`), elements trimmed.
    pub(crate) fn list(&mut self, spec: Spec) -> Option<Vec<String>> {
        let sep = spec.separator.unwrap_or(",");
        match self.get(spec) {
            Got::Value(v) => Some(v.split(sep).map(|s| s.trim().to_string()).collect()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_required_and_types() {
        let m = meta(&[("queueLength", "x"), ("empty", "  ")]);
        let env = EnvKnowledge::Unknown;
        let auth = AuthKnowledge::None;
        let mut p = Params::new("aws-sqs-queue", &m, &env, &auth);
        assert_eq!(p.int(Spec::meta(&["queueLength"]).default("5"), 64), None);
        assert_eq!(
            p.int(Spec::meta(&["activationQueueLength"]).default("0"), 64),
            Some(0)
        );
        assert_eq!(
            p.get(Spec::meta(&["empty"])),
            Got::Absent,
            "empty counts as absent"
        );
        assert_eq!(p.errors.len(), 2, "{:?}", p.errors);
        assert!(
            p.errors[1]
                .message
                .contains("missing required parameter \"empty\"")
        );
    }

    #[test]
    fn env_and_auth_sources() {
        let m = meta(&[("hostFromEnv", "RABBIT_HOST")]);
        let unknown_env = EnvKnowledge::Unknown;
        let auth = AuthKnowledge::Unknown { name: "ta".into() };
        let mut p = Params::new("rabbitmq", &m, &unknown_env, &auth);
        assert_eq!(p.get(Spec::new(&["host"], META_AUTH_ENV)), Got::Hidden);
        assert!(p.errors.is_empty());
        assert_eq!(p.unchecked.len(), 1);

        let env =
            EnvKnowledge::Known([("RABBIT_HOST".to_string(), Some("amqp://x".to_string()))].into());
        let none = AuthKnowledge::None;
        let mut p = Params::new("rabbitmq", &m, &env, &none);
        assert_eq!(
            p.get(Spec::new(&["host"], META_AUTH_ENV)),
            Got::Value("amqp://x".into())
        );
        assert!(p.ignored_keys().is_empty());
    }

    #[test]
    fn deprecated_and_enum() {
        let m = meta(&[("type", "Utilization"), ("mode", "bogus"), ("other", "1")]);
        let env = EnvKnowledge::Unknown;
        let auth = AuthKnowledge::None;
        let mut p = Params::new("cpu", &m, &env, &auth);
        p.get(
            Spec::meta(&["type"])
                .optional()
                .deprecated("removed in v2.18"),
        );
        p.get(Spec::meta(&["mode"]).one_of(&["a", "b"]));
        assert_eq!(p.errors.len(), 2);
        assert_eq!(p.errors[0].key.as_deref(), Some("type"));
        assert_eq!(p.ignored_keys(), vec!["other".to_string()]);
    }
}
