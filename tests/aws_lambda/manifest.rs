//! `manifest aws` on the quickstart binary writes a SAM template that cfn-lint passes.

use std::process::Command;

use crate::harness::{example, peer};

#[test]
fn the_quickstart_sam_template_passes_cfn_lint() {
    let Some(cfn_lint) = peer("FAASPORT_CFN_LINT") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(example("quickstart"))
        .args(["manifest", "aws", "--out"])
        .arg(dir.path())
        .env("FAASPORT_PROVIDER", "local")
        .output()
        .expect("run the quickstart");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = dir.path().join("template.yaml");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("wrote {}", path.display())
    );
    let template = std::fs::read_to_string(&path).expect("template written");
    // One function resource each for create-order, bill and nightly.
    assert_eq!(
        template.matches("Type: AWS::Serverless::Function").count(),
        3,
        "{template}"
    );
    assert!(
        template.contains("CodeUri: target/lambda/quickstart/"),
        "{template}"
    );
    let lint = Command::new(cfn_lint)
        .arg(&path)
        .output()
        .expect("run cfn-lint");
    assert!(
        lint.status.success(),
        "cfn-lint:\n{}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
}
