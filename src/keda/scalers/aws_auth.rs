//! AWS credentials as KEDA's `GetAwsAuthorization` demands them (pkg/scalers/aws/aws_common.go):
//! pod identity `aws`, or `identityOwner: operator`, or credentials from the
//! TriggerAuthentication (`awsRoleArn`, or `awsAccessKeyID` + `awsSecretAccessKey`), or
//! `awsAccessKeyID`(`FromEnv`) + `awsSecretAccessKeyFromEnv` in the metadata. Anything else
//! fails the scaler build.

use crate::keda::params::{AuthKnowledge, EnvKnowledge, Params};

pub(crate) fn check_aws_auth(p: &mut Params) {
    p.mark_used(&[
        "identityOwner",
        "awsAccessKeyID",
        "awsSecretAccessKey",
        "awsRoleArn",
        "awsSessionToken",
    ]);
    let has_param = |p: &Params, name: &str| match p.auth {
        AuthKnowledge::Known { params, .. } => params.contains(name),
        _ => false,
    };
    match p.auth.pod_identity() {
        None => {
            p.unchecked(
                None,
                "AWS credentials come from the TriggerAuthentication, which was not given",
            );
            return;
        }
        Some(Some("aws")) | Some(Some("aws-eks")) => return,
        _ => {}
    }
    let owner = p
        .metadata
        .get("identityOwner")
        .map(|s| s.as_str())
        .unwrap_or("");
    match owner {
        "operator" => {}
        "" | "pod" => {
            if has_param(p, "awsRoleArn") {
                return;
            }
            if has_param(p, "awsAccessKeyID") || has_param(p, "awsAccessKeyId") {
                if !has_param(p, "awsSecretAccessKey") {
                    p.error(None, "awsSecretAccessKey not found");
                }
                return;
            }
            let meta_key = p
                .metadata
                .get("awsAccessKeyID")
                .is_some_and(|v| !v.is_empty());
            let env_key = p
                .metadata
                .get("awsAccessKeyIDFromEnv")
                .is_some_and(|v| !v.is_empty());
            if !meta_key && !env_key {
                p.error(
                    None,
                    "awsAccessKeyID not found (no pod identity, no `identityOwner: operator`, and no credentials in the TriggerAuthentication or metadata)",
                );
                return;
            }
            let secret_env = p
                .metadata
                .get("awsSecretAccessKeyFromEnv")
                .is_some_and(|v| !v.is_empty());
            if !secret_env {
                p.error(None, "awsSecretAccessKey not found (set awsSecretAccessKeyFromEnv or use a TriggerAuthentication)");
            } else if matches!(p.env, EnvKnowledge::Unknown) {
                p.unchecked(Some("awsSecretAccessKeyFromEnv"), "the AWS secret comes from the target container's environment, which scalesim cannot see");
            }
        }
        _ => {}
    }
}
