//! The spellings a string enum of a `trace:` block accepts: its name and its aliases, in one
//! table per enum. The table is what `FromStr` reads (command-line flags such as
//! `trace show --format prom`), and what the editor schema lists (`scalesim schema`,
//! `docs/editors.md`): a file the loader accepts is then one the schema accepts. The scenario
//! loader deserializes with serde, whose `alias` attributes repeat the table; a test checks that
//! serde accepts every spelling of every table.

use schemars::Schema;
use serde_json::Value;

/// A string enum with a table of spellings; the first spelling of each entry is the name.
pub(crate) trait Spelled: Copy + PartialEq + Sized + 'static {
    /// Every variant, with its name first and then its aliases.
    const SPELLINGS: &'static [(Self, &'static [&'static str])];

    /// The variant spelled `text` (any case, `-` read as `_`, surrounding spaces ignored).
    fn from_spelling(text: &str) -> Option<Self> {
        let wanted = text.trim().to_ascii_lowercase().replace('-', "_");
        Self::SPELLINGS
            .iter()
            .find(|(_, spellings)| spellings.contains(&wanted.as_str()))
            .map(|(v, _)| *v)
    }

    /// The name of `self` (the first spelling of its entry).
    fn name(self) -> &'static str {
        Self::SPELLINGS
            .iter()
            .find(|(v, _)| *v == self)
            .and_then(|(_, spellings)| spellings.first().copied())
            .unwrap_or_default()
    }
}

/// A `schemars` transform for a [`Spelled`] enum: each variant's `const: name` becomes
/// `enum: [name, aliases…]`, so the schema accepts the aliases the loader accepts and keeps each
/// variant's description.
pub(crate) fn add_aliases<T: Spelled>(schema: &mut Schema) {
    let Some(Value::Array(variants)) = schema.get_mut("oneOf") else {
        return;
    };
    for variant in variants.iter_mut().filter_map(Value::as_object_mut) {
        let Some(Value::String(name)) = variant.get("const") else {
            continue;
        };
        let Some((_, spellings)) = T::SPELLINGS
            .iter()
            .find(|(_, s)| s.first() == Some(&&**name))
        else {
            continue;
        };
        if spellings.len() > 1 {
            variant.remove("const");
            variant.insert("enum".into(), spellings.iter().copied().collect());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::read::Format;
    use crate::trace::timefmt::TimeFormat;
    use serde::de::DeserializeOwned;

    /// Every spelling parses, with `FromStr`'s rules and with serde's, to its own variant.
    fn every_spelling_loads<T: Spelled + DeserializeOwned + std::fmt::Debug>() {
        for (variant, spellings) in T::SPELLINGS {
            assert!(!spellings.is_empty());
            for s in *spellings {
                assert_eq!(T::from_spelling(s), Some(*variant), "{s}");
                assert_eq!(T::from_spelling(&s.to_ascii_uppercase()), Some(*variant));
                let via_serde: T = serde_json::from_value(Value::String(s.to_string()))
                    .unwrap_or_else(|e| panic!("serde rejects {s:?}: {e}"));
                assert_eq!(via_serde, *variant, "{s}");
            }
        }
    }

    #[test]
    fn serde_accepts_every_spelling_of_the_tables() {
        every_spelling_loads::<Format>();
        every_spelling_loads::<TimeFormat>();
    }

    /// The schema of `T` as JSON: each variant's accepted strings.
    fn schema_strings<T: schemars::JsonSchema>() -> Vec<String> {
        let schema = schemars::SchemaGenerator::default().into_root_schema_for::<T>();
        let text = serde_json::to_string(&schema).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        v["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|o| match (&o["const"], &o["enum"]) {
                (Value::String(c), _) => vec![c.clone()],
                (_, Value::Array(e)) => e.iter().map(|s| s.as_str().unwrap().into()).collect(),
                _ => panic!("a variant without const or enum: {o}"),
            })
            .collect()
    }

    #[test]
    fn the_schema_lists_every_spelling_and_keeps_descriptions() {
        fn check<T: Spelled + schemars::JsonSchema>() {
            let listed = schema_strings::<T>();
            let all: Vec<String> = T::SPELLINGS
                .iter()
                .flat_map(|(_, s)| s.iter().map(|x| x.to_string()))
                .collect();
            assert_eq!(listed, all);
        }
        check::<Format>();
        check::<TimeFormat>();
        let schema = schemars::SchemaGenerator::default().into_root_schema_for::<Format>();
        let text = serde_json::to_string(&schema).unwrap();
        assert!(text.contains(r#""enum":["prometheus","prom"]"#), "{text}");
        assert!(text.contains("query_range"), "descriptions kept: {text}");
    }

    #[test]
    fn names_are_the_first_spelling() {
        assert_eq!(Format::Prometheus.name(), "prometheus");
        assert_eq!(Spelled::name(TimeFormat::EpochMillis), "epoch_millis");
        assert_eq!(
            Format::from_spelling(" Request-Log "),
            Some(Format::Requests)
        );
        assert_eq!(Format::from_spelling("parquet"), None);
    }
}
