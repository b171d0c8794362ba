//! The deployment examples hold together: the Kubernetes Indexed Job runs `--shard
//! $(JOB_COMPLETION_INDEX)/N` with N = completions = parallelism, every volume mount names a
//! volume, the shards write where the merge Job reads, the claim and ConfigMaps exist under the
//! names used, one image throughout, and every container's arguments are accepted by
//! gatecheck's own command line (with the variables filled in). The ConfigMap's scenario and
//! profile load with gatecheck's decoders; the GitHub Actions matrix covers shards 0..N-1.
//! (CI also validates the manifests against the Kubernetes schemas: `kubernetes-validate`.)

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Parser;
use marked_yaml::Node;
use serde_json::{json, Value};

use crate::support::repo_path;

fn deploy() -> PathBuf {
    repo_path("deploy")
}

/// A YAML document as JSON (scalars as strings), to walk with pointers.
fn to_json(node: &Node) -> Value {
    match node {
        Node::Scalar(scalar) => Value::String(scalar.as_str().to_owned()),
        Node::Sequence(items) => Value::Array(items.iter().map(to_json).collect()),
        Node::Mapping(map) => Value::Object(
            map.iter()
                .map(|(key, value)| (key.as_str().to_owned(), to_json(value)))
                .collect(),
        ),
    }
}

fn manifest(name: &str) -> Value {
    let path = deploy().join("kubernetes").join(name);
    let text = std::fs::read_to_string(&path).expect("manifest");
    let node = marked_yaml::parse_yaml(0, &text).unwrap_or_else(|e| panic!("{name}: {e}"));
    to_json(&node)
}

fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no {pointer} in {value}"))
}

fn list<'a>(value: &'a Value, pointer: &str) -> &'a Vec<Value> {
    value
        .pointer(pointer)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("no list {pointer}"))
}

/// The single container of a pod template (or pod spec) at `spec`.
fn container<'a>(object: &'a Value, spec: &str) -> &'a Value {
    let containers = list(object, &format!("{spec}/containers"));
    assert_eq!(containers.len(), 1, "one container");
    &containers[0]
}

/// Every mount names a volume of the pod; returns mount path -> volume.
fn mounts(object: &Value, spec: &str) -> BTreeMap<String, Value> {
    let volumes: BTreeMap<&str, &Value> = list(object, &format!("{spec}/volumes"))
        .iter()
        .map(|v| (text(v, "/name"), v))
        .collect();
    list(container(object, spec), "/volumeMounts")
        .iter()
        .map(|mount| {
            let name = text(mount, "/name");
            let volume = volumes
                .get(name)
                .unwrap_or_else(|| panic!("mount of unknown volume {name}"));
            (text(mount, "/mountPath").to_owned(), (*volume).clone())
        })
        .collect()
}

/// The container's args with `$(VAR)` filled in, checked against gatecheck's CLI.
fn parsed_args(container: &Value, vars: &[(&str, &str)]) -> (Vec<String>, gatecheck::cmd::Cli) {
    let args: Vec<String> = list(container, "/args")
        .iter()
        .map(|arg| {
            let mut arg = arg.as_str().expect("string arg").to_owned();
            for (name, value) in vars {
                arg = arg.replace(&format!("$({name})"), value);
            }
            assert!(!arg.contains("$("), "unfilled variable in {arg}");
            arg
        })
        .collect();
    let cli = gatecheck::cmd::Cli::try_parse_from(
        std::iter::once("gatecheck".to_owned()).chain(args.clone()),
    )
    .unwrap_or_else(|e| panic!("gatecheck refuses {args:?}: {e}"));
    (args, cli)
}

fn flag<'a>(args: &'a [String], name: &str) -> &'a str {
    args.iter()
        .find_map(|a| a.strip_prefix(&format!("--{name}=")))
        .unwrap_or_else(|| panic!("no --{name}= in {args:?}"))
}

#[test]
fn the_indexed_job_runs_every_shard_into_the_volume_the_merge_job_reads() {
    let shards = manifest("job-shards.yaml");
    let merge = manifest("job-merge.yaml");
    let pvc = manifest("pvc.yaml");
    let config = manifest("configmap.yaml");

    assert_eq!(text(&shards, "/kind"), "Job");
    assert_eq!(text(&shards, "/spec/completionMode"), "Indexed");
    let completions: u32 = text(&shards, "/spec/completions").parse().expect("number");
    assert_eq!(text(&shards, "/spec/parallelism"), completions.to_string());
    assert_eq!(text(&shards, "/spec/template/spec/restartPolicy"), "Never");

    let shard = container(&shards, "/spec/template/spec");
    let index_arg = format!("--shard=$(JOB_COMPLETION_INDEX)/{completions}");
    assert!(
        list(shard, "/args").iter().any(|a| a == &json!(index_arg)),
        "the shards take their index from JOB_COMPLETION_INDEX, one of {completions}"
    );
    let vars = [
        ("JOB_COMPLETION_INDEX", "3"),
        ("RUN_ID", "run-1"),
        ("TARGET_URL", "http://gatecheck-gateway:8080"),
    ];
    let (shard_args, cli) = parsed_args(shard, &vars);
    let gatecheck::cmd::Command::Load(load) = cli.command else {
        panic!("the shards run `gatecheck load`")
    };
    assert_eq!(
        load.shard.map(|s| (s.index, s.count)),
        Some((3, completions))
    );
    assert!(
        load.start_file.is_some() || load.start_at.is_some(),
        "a common start"
    );
    // Every variable the args use is set by the container (JOB_COMPLETION_INDEX by Kubernetes).
    let env: Vec<&str> = list(shard, "/env")
        .iter()
        .map(|e| text(e, "/name"))
        .collect();
    for (name, _) in &vars[1..] {
        assert!(env.contains(name), "{name} is not in the shard's env");
    }

    let shard_mounts = mounts(&shards, "/spec/template/spec");
    let merge_mounts = mounts(&merge, "/spec/template/spec");
    let claim = text(&pvc, "/metadata/name");
    for mounts in [&shard_mounts, &merge_mounts] {
        assert_eq!(
            text(&mounts["/results"], "/persistentVolumeClaim/claimName"),
            claim
        );
    }
    assert_eq!(
        text(&shard_mounts["/config"], "/configMap/name"),
        text(&config, "/metadata/name")
    );
    assert!(list(&pvc, "/spec/accessModes").contains(&json!("ReadWriteMany")));

    // The scenario and profile the shards are given, where they are mounted.
    let scenario_path = load.scenario.to_string_lossy().into_owned();
    let file = scenario_path
        .strip_prefix("/config/")
        .expect("under /config");
    let profile_path = load.connection.profile.clone().expect("a profile");
    let profile_file = profile_path
        .to_str()
        .and_then(|p| p.strip_prefix("/config/"))
        .expect("profile under /config");
    let profile_text = text(&config, &format!("/data/{profile_file}"));
    let profile = gatecheck::profile::Profile::parse(profile_file, profile_text)
        .unwrap_or_else(|e| panic!("the ConfigMap's profile: {e:?}"));
    let scenario = gatecheck::scenario::decode_scenario(
        file,
        text(&config, &format!("/data/{file}")),
        &profile,
    )
    .unwrap_or_else(|e| panic!("the ConfigMap's scenario: {e:?}"));
    assert!(scenario.load.is_some(), "the scenario has a load section");

    // The merge Job reads what the shards wrote.
    assert_eq!(text(&merge, "/kind"), "Job");
    let (merge_args, cli) = parsed_args(container(&merge, "/spec/template/spec"), &vars);
    let gatecheck::cmd::Command::Merge(merge_cli) = cli.command else {
        panic!("the merge Job runs `gatecheck merge`")
    };
    assert_eq!(
        merge_cli.dirs,
        [PathBuf::from(flag(&shard_args, "reports"))],
        "{merge_args:?}"
    );

    // One image, and resource requests on every container.
    let image = text(shard, "/image");
    assert!(!image.is_empty());
    let results = manifest("results-pod.yaml");
    let gateway = manifest("gateway.yaml");
    for (name, container) in [
        ("shards", shard),
        ("merge", container(&merge, "/spec/template/spec")),
        ("results", container(&results, "/spec")),
        ("gateway", container(&gateway, "/spec/template/spec")),
    ] {
        assert_eq!(text(container, "/image"), image, "{name}");
        text(container, "/resources/requests/cpu");
        text(container, "/resources/requests/memory");
    }
    assert_eq!(
        text(
            &mounts(&results, "/spec")["/results"],
            "/persistentVolumeClaim/claimName"
        ),
        claim
    );
}

#[test]
fn the_gateway_service_selects_the_demo_gateway() {
    let gateway = manifest("gateway.yaml");
    let service = manifest("gateway-service.yaml");
    assert_eq!(
        service.pointer("/spec/selector"),
        gateway.pointer("/spec/template/metadata/labels")
    );
    assert_eq!(
        gateway.pointer("/spec/selector/matchLabels"),
        gateway.pointer("/spec/template/metadata/labels")
    );
    let (_, cli) = parsed_args(container(&gateway, "/spec/template/spec"), &[]);
    assert!(matches!(cli.command, gatecheck::cmd::Command::Serve(_)));
}

#[test]
fn the_github_actions_matrix_runs_every_shard_then_merges() {
    let path = deploy().join("ci/github-actions.yml");
    let workflow = to_json(
        &marked_yaml::parse_yaml(0, std::fs::read_to_string(path).expect("workflow"))
            .expect("workflow yaml"),
    );
    let shards: Vec<&str> = list(&workflow, "/jobs/shard/strategy/matrix/shard")
        .iter()
        .map(|s| s.as_str().expect("index"))
        .collect();
    let count = shards.len();
    let expected: Vec<String> = (0..count).map(|i| i.to_string()).collect();
    assert_eq!(shards, expected, "the matrix lists shards 0..N-1");
    let steps = list(&workflow, "/jobs/shard/steps");
    let run: Vec<&str> = steps
        .iter()
        .filter_map(|s| s.pointer("/run").and_then(Value::as_str))
        .collect();
    let load = run
        .iter()
        .find(|r| r.contains(" load "))
        .expect("a load step");
    assert!(
        load.contains(&format!("--shard ${{{{ matrix.shard }}}}/{count}")),
        "{load}"
    );
    assert!(
        load.contains("--start-at ${{ needs.plan.outputs.start }}"),
        "{load}"
    );
    assert_eq!(text(&workflow, "/jobs/merge/needs"), "shard");
    let merge_runs: Vec<&str> = list(&workflow, "/jobs/merge/steps")
        .iter()
        .filter_map(|s| s.pointer("/run").and_then(Value::as_str))
        .collect();
    assert!(
        merge_runs.iter().any(|r| r.contains(" merge ")),
        "{merge_runs:?}"
    );
}
