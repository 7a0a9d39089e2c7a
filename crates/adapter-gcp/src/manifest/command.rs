//! One `gcloud` command of `deploy.sh`, and how it is written as shell.

use std::fmt::Write as _;

/// A `gcloud` command: its command group words and positionals, then `--flag=value`s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Command {
    /// The words after `gcloud` (`run deploy shop-bill`).
    words: Vec<String>,
    /// Flags in order; `None` for a switch (`--allow-unauthenticated`).
    flags: Vec<(String, Option<String>)>,
    /// Run through the script's `create` function, which treats "already exists" as done.
    create: bool,
    /// Assign the output to this shell variable (`VAR="$(gcloud ...)"`).
    capture: Option<&'static str>,
}

impl Command {
    /// `gcloud <words>`, with `--project` added when written.
    pub(super) fn gcloud(words: &[&str]) -> Self {
        Self {
            words: words.iter().map(|w| (*w).to_owned()).collect(),
            flags: Vec::new(),
            create: false,
            capture: None,
        }
    }

    /// Adds a positional argument.
    pub(super) fn arg(mut self, value: impl Into<String>) -> Self {
        self.words.push(value.into());
        self
    }

    /// Adds `--name=value`.
    pub(super) fn flag(mut self, name: &str, value: impl ToString) -> Self {
        self.flags.push((name.to_owned(), Some(value.to_string())));
        self
    }

    /// Adds `--name`.
    pub(super) fn switch(mut self, name: &str) -> Self {
        self.flags.push((name.to_owned(), None));
        self
    }

    /// Runs it through `create`, so that running the script again skips what exists.
    pub(super) fn creating(mut self) -> Self {
        self.create = true;
        self
    }

    /// Assigns its output to `variable`.
    pub(super) fn capture(mut self, variable: &'static str) -> Self {
        self.capture = Some(variable);
        self
    }

    /// The command as shell, one flag per continued line, `--project` last.
    pub(super) fn render(&self) -> String {
        let mut text = String::new();
        if let Some(var) = self.capture {
            let _ = write!(text, "{var}=\"$(");
        }
        if self.create {
            text.push_str("create ");
        }
        text.push_str("gcloud");
        for word in &self.words {
            text.push(' ');
            text.push_str(&quote(word));
        }
        let project = (
            "project".to_owned(),
            Some(super::physical::PROJECT.to_owned()),
        );
        for (name, value) in self.flags.iter().chain(std::iter::once(&project)) {
            text.push_str(" \\\n    --");
            text.push_str(name);
            if let Some(value) = value {
                text.push('=');
                text.push_str(&quote(value));
            }
        }
        if self.capture.is_some() {
            text.push_str(")\"");
        }
        text.push('\n');
        text
    }
}

/// `value` as one shell word: bare when it holds only safe characters, else in double quotes
/// (so `${PROJECT}` still expands) with `"`, `\` and `` ` `` escaped.
fn quote(value: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./:@=,+".contains(c);
    if !value.is_empty() && value.chars().all(safe) {
        return value.to_owned();
    }
    let mut quoted = String::from("\"");
    for c in value.chars() {
        if matches!(c, '"' | '\\' | '`') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_is_one_flag_per_line_with_the_project_last_and_variables_left_to_expand() {
        let command = Command::gcloud(&["pubsub", "topics", "create", "shop-orders"])
            .flag("labels", "faasport-app=shop")
            .switch("quiet")
            .creating();
        assert_eq!(
            command.render(),
            "create gcloud pubsub topics create shop-orders \\\n    --labels=faasport-app=shop \\\n    --quiet \\\n    --project=\"${PROJECT}\"\n"
        );
        let captured = Command::gcloud(&["projects", "describe"])
            .arg("${PROJECT}")
            .flag("format", "value(projectNumber)")
            .capture("PROJECT_NUMBER");
        assert_eq!(
            captured.render(),
            "PROJECT_NUMBER=\"$(gcloud projects describe \"${PROJECT}\" \\\n    --format=\"value(projectNumber)\" \\\n    --project=\"${PROJECT}\")\"\n"
        );
        assert_eq!(quote("0 2 * * *"), "\"0 2 * * *\"");
        assert_eq!(quote("say \"hi\""), "\"say \\\"hi\\\"\"");
    }
}
