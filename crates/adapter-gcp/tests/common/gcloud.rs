//! The gcloud check shared by the adapter's manifest tests and the facade's quickstart test:
//! `deploy.sh` parsed back into gcloud commands, each flag checked against the flags gcloud
//! documents for that command.
#![allow(dead_code)]

use std::collections::BTreeMap;

use faasport_adapter_gcp::manifest::gcloud;
use faasport_core::App;

/// The flags each gcloud command of the script may use, from its reference page, plus the
/// global `--project` and `--format`
/// (https://cloud.google.com/sdk/gcloud/reference#--project).
pub fn documented_flags() -> BTreeMap<&'static str, &'static [&'static str]> {
    BTreeMap::from([
        // https://cloud.google.com/sdk/gcloud/reference/services/enable
        ("services enable", &["async"][..]),
        // https://cloud.google.com/sdk/gcloud/reference/projects/describe
        ("projects describe", &[][..]),
        // https://cloud.google.com/sdk/gcloud/reference/projects/add-iam-policy-binding
        (
            "projects add-iam-policy-binding",
            &["member", "role", "condition", "condition-from-file"][..],
        ),
        // https://cloud.google.com/sdk/gcloud/reference/iam/service-accounts/create
        (
            "iam service-accounts create",
            &["display-name", "description"][..],
        ),
        // https://cloud.google.com/sdk/gcloud/reference/iam/service-accounts/add-iam-policy-binding
        (
            "iam service-accounts add-iam-policy-binding",
            &["member", "role", "condition", "condition-from-file"][..],
        ),
        // https://cloud.google.com/sdk/gcloud/reference/pubsub/topics/create
        (
            "pubsub topics create",
            &[
                "labels",
                "message-retention-duration",
                "kms-key",
                "message-storage-policy-allowed-regions",
            ][..],
        ),
        // https://cloud.google.com/sdk/gcloud/reference/pubsub/topics/add-iam-policy-binding
        (
            "pubsub topics add-iam-policy-binding",
            &["member", "role", "condition", "condition-from-file"][..],
        ),
        // https://cloud.google.com/sdk/gcloud/reference/pubsub/subscriptions/create
        (
            "pubsub subscriptions create",
            &[
                "topic",
                "topic-project",
                "ack-deadline",
                "push-endpoint",
                "push-auth-service-account",
                "push-auth-token-audience",
                "dead-letter-topic",
                "dead-letter-topic-project",
                "max-delivery-attempts",
                "min-retry-delay",
                "max-retry-delay",
                "message-retention-duration",
                "retain-acked-messages",
                "expiration-period",
                "labels",
                "enable-message-ordering",
                "message-filter",
            ][..],
        ),
        // https://cloud.google.com/sdk/gcloud/reference/pubsub/subscriptions/update
        (
            "pubsub subscriptions update",
            &[
                "ack-deadline",
                "push-endpoint",
                "push-auth-service-account",
                "push-auth-token-audience",
                "dead-letter-topic",
                "dead-letter-topic-project",
                "max-delivery-attempts",
                "clear-dead-letter-policy",
                "min-retry-delay",
                "max-retry-delay",
                "clear-retry-policy",
                "message-retention-duration",
                "expiration-period",
                "update-labels",
            ][..],
        ),
        // https://cloud.google.com/sdk/gcloud/reference/pubsub/subscriptions/add-iam-policy-binding
        (
            "pubsub subscriptions add-iam-policy-binding",
            &["member", "role", "condition", "condition-from-file"][..],
        ),
        // https://cloud.google.com/sdk/gcloud/reference/storage/buckets/create
        (
            "storage buckets create",
            &[
                "location",
                "uniform-bucket-level-access",
                "default-storage-class",
                "public-access-prevention",
            ][..],
        ),
        // https://cloud.google.com/sdk/gcloud/reference/storage/buckets/add-iam-policy-binding
        (
            "storage buckets add-iam-policy-binding",
            &["member", "role", "condition", "condition-from-file"][..],
        ),
        // https://cloud.google.com/sdk/gcloud/reference/run/deploy
        (
            "run deploy",
            &[
                "image",
                "region",
                "service-account",
                "memory",
                "cpu",
                "timeout",
                "min-instances",
                "max-instances",
                "concurrency",
                "set-env-vars",
                "labels",
                "allow-unauthenticated",
                "no-allow-unauthenticated",
                "ingress",
                "platform",
                "port",
                "command",
                "args",
            ][..],
        ),
        // https://cloud.google.com/sdk/gcloud/reference/run/services/add-iam-policy-binding
        (
            "run services add-iam-policy-binding",
            &["region", "member", "role", "condition", "platform"][..],
        ),
        // https://cloud.google.com/sdk/gcloud/reference/eventarc/triggers/create
        (
            "eventarc triggers create",
            &[
                "location",
                "destination-run-service",
                "destination-run-region",
                "destination-run-path",
                "event-filters",
                "event-filters-path-pattern",
                "event-data-content-type",
                "service-account",
                "transport-topic",
                "channel",
            ][..],
        ),
        // https://cloud.google.com/sdk/gcloud/reference/eventarc/triggers/describe
        ("eventarc triggers describe", &["location"][..]),
        // https://cloud.google.com/sdk/gcloud/reference/scheduler/jobs/create/pubsub
        (
            "scheduler jobs create pubsub",
            &[
                "location",
                "schedule",
                "topic",
                "message-body",
                "message-body-from-file",
                "attributes",
                "time-zone",
                "description",
                "max-retry-attempts",
                "max-retry-duration",
                "min-backoff",
                "max-backoff",
                "max-doublings",
            ][..],
        ),
    ])
}

/// One parsed gcloud command: its command path, positionals and flags (a switch has `""`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gcloud {
    pub command: String,
    pub args: Vec<String>,
    pub flags: Vec<(String, String)>,
}

impl Gcloud {
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn flag_map(&self) -> BTreeMap<&str, &str> {
        self.flags
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }
}

/// Splits one shell line into words: double quotes (with `\` escapes) and single quotes.
pub fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => word.extend(chars.next()),
                        c => word.push(c),
                    }
                }
            }
            '\'' => {
                in_word = true;
                word.extend(chars.by_ref().take_while(|c| *c != '\''));
            }
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        out.push(word);
    }
    out
}

/// Every gcloud command of `script`, checked against [`documented_flags`].
pub fn parse(script: &str) -> Result<Vec<Gcloud>, String> {
    let documented = documented_flags();
    let joined = script.replace("\\\n", " ");
    let mut commands = Vec::new();
    for line in joined.lines().map(str::trim) {
        // `VAR="$(gcloud ...)"` captures; `create gcloud ...` creates.
        let line = match line.split_once("=\"$(") {
            Some((var, inner)) if var.chars().all(|c| c.is_ascii_uppercase() || c == '_') => inner
                .strip_suffix(")\"")
                .ok_or(format!("unclosed capture: {line}"))?,
            _ => line,
        };
        let line = line.strip_prefix("create ").unwrap_or(line);
        let Some(rest) = line.strip_prefix("gcloud ") else {
            if line.contains("gcloud ") && !line.starts_with('#') {
                return Err(format!("gcloud in a line the check cannot read: {line}"));
            }
            continue;
        };
        let words = words(rest);
        let path: Vec<&str> = words
            .iter()
            .take_while(|w| !w.starts_with("--"))
            .map(String::as_str)
            .collect();
        let (command, allowed) = (1..=path.len())
            .rev()
            .find_map(|n| {
                let key = path[..n].join(" ");
                documented.get(key.as_str()).map(|flags| (key, *flags))
            })
            .ok_or(format!(
                "not a documented command: gcloud {}",
                path.join(" ")
            ))?;
        let args = path[command.split(' ').count()..]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let mut flags = Vec::new();
        for word in &words[path.len()..] {
            let flag = word
                .strip_prefix("--")
                .ok_or(format!("a positional after the flags: {word}"))?;
            let (name, value) = flag.split_once('=').unwrap_or((flag, ""));
            if !allowed.contains(&name) && !["project", "format"].contains(&name) {
                return Err(format!("gcloud {command} has no flag --{name}"));
            }
            flags.push((name.to_owned(), value.to_owned()));
        }
        commands.push(Gcloud {
            command,
            args,
            flags,
        });
    }
    Ok(commands)
}

pub fn script(app: &App) -> String {
    let files = gcloud(app).expect("deploy.sh");
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].path, "deploy.sh");
    files[0].contents.clone()
}

pub fn find<'a>(commands: &'a [Gcloud], command: &str, arg: &str) -> &'a Gcloud {
    commands
        .iter()
        .find(|c| c.command == command && c.args.first().map(String::as_str) == Some(arg))
        .unwrap_or_else(|| panic!("no `gcloud {command} {arg}`"))
}
