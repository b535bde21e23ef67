//! The Kubernetes example: the CronJob and the Secret, ConfigMap and PersistentVolumeClaim it
//! needs. No cluster is at hand, so the lint knows the fields that matter for a drill, the
//! names of the fields it uses (a misspelt one would be dropped by the API server), and that
//! every object the CronJob refers to is in the example.

use super::invocation::{flag_values, secret_like};
use super::shell::{Invocation, is_drbook};
use super::units::{schedule_problems, under};
use super::{Files, assert_lint_fires, parse_yaml, repo_root};
use drbook::runbook::{Node, Value as NodeValue};
use serde_json::Value;

/// The drbook command lines of the containers in a manifest (`command` + `args`).
pub fn container_invocations(name: &str, root: &Node) -> Vec<Invocation> {
    let mut found = Vec::new();
    walk_containers(root, &mut |container| {
        if let Some(words) = drbook_words(&container.to_json()) {
            found.push(Invocation {
                place: format!("{name}:{}", container.pos.line),
                words,
            });
        }
    });
    found
}

fn walk_containers(node: &Node, visit: &mut dyn FnMut(&Node)) {
    match &node.value {
        NodeValue::Map(entries) => {
            for (key, value) in entries {
                if matches!(key.name.as_str(), "containers" | "initContainers")
                    && let NodeValue::Seq(items) = &value.value
                {
                    items.iter().for_each(&mut *visit);
                } else {
                    walk_containers(value, visit);
                }
            }
        }
        NodeValue::Seq(items) => items.iter().for_each(|item| walk_containers(item, visit)),
        _ => {}
    }
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| v.as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The arguments of drbook when a container runs it.
fn drbook_words(container: &Value) -> Option<Vec<String>> {
    let mut words = strings(&container["command"]);
    words.extend(strings(&container["args"]));
    let program = words.first()?;
    is_drbook(program).then(|| words[1..].to_vec())
}

/// Field names of the Kubernetes API objects the example uses (batch/v1, core/v1).
const CRONJOB_SPEC: &[&str] = &[
    "schedule",
    "timeZone",
    "startingDeadlineSeconds",
    "concurrencyPolicy",
    "suspend",
    "jobTemplate",
    "successfulJobsHistoryLimit",
    "failedJobsHistoryLimit",
];
const JOB_SPEC: &[&str] = &[
    "parallelism",
    "completions",
    "activeDeadlineSeconds",
    "podFailurePolicy",
    "successPolicy",
    "backoffLimit",
    "backoffLimitPerIndex",
    "maxFailedIndexes",
    "selector",
    "manualSelector",
    "template",
    "ttlSecondsAfterFinished",
    "completionMode",
    "suspend",
    "podReplacementPolicy",
    "managedBy",
];
const POD_SPEC: &[&str] = &[
    "volumes",
    "initContainers",
    "containers",
    "restartPolicy",
    "terminationGracePeriodSeconds",
    "activeDeadlineSeconds",
    "dnsPolicy",
    "nodeSelector",
    "serviceAccountName",
    "automountServiceAccountToken",
    "securityContext",
    "imagePullSecrets",
    "affinity",
    "tolerations",
    "priorityClassName",
    "runtimeClassName",
    "enableServiceLinks",
    "topologySpreadConstraints",
    "hostUsers",
];
const CONTAINER: &[&str] = &[
    "name",
    "image",
    "command",
    "args",
    "workingDir",
    "ports",
    "envFrom",
    "env",
    "resources",
    "volumeMounts",
    "imagePullPolicy",
    "securityContext",
    "terminationMessagePolicy",
];

fn unknown_keys(place: &str, value: &Value, known: &[&str], problems: &mut Vec<String>) {
    for key in value.as_object().into_iter().flat_map(|o| o.keys()) {
        if !known.contains(&key.as_str()) {
            problems.push(format!(
                "{place}: `{key}` is not a field the lint knows here"
            ));
        }
    }
}

/// Every object of the example, by (kind, name).
fn objects(files: &Files) -> Vec<(String, Value)> {
    files
        .iter()
        .filter(|(n, _)| n.contains("kubernetes/") && n.ends_with(".yaml"))
        .filter_map(|(n, t)| {
            parse_yaml(n, t)
                .ok()
                .map(|root| (n.clone(), root.to_json()))
        })
        .collect()
}

fn find<'a>(objects: &'a [(String, Value)], kind: &str, name: &str) -> Option<&'a Value> {
    objects
        .iter()
        .map(|(_, o)| o)
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
}

/// The volume mounted at the deepest mount path that holds `path`, with the rest of the path.
fn volume_at<'a>(pod: &'a Value, container: &Value, path: &str) -> Option<(&'a Value, String)> {
    let mount = container["volumeMounts"]
        .as_array()?
        .iter()
        .filter(|m| m["mountPath"].as_str().is_some_and(|p| under(path, p)))
        .max_by_key(|m| m["mountPath"].as_str().map_or(0, str::len))?;
    let mount_path = mount["mountPath"].as_str()?;
    let volume = pod["volumes"]
        .as_array()?
        .iter()
        .find(|v| v["name"] == mount["name"])?;
    let rest = path[mount_path.len()..].trim_start_matches('/').to_owned();
    Some((volume, rest))
}

fn container_problems(
    place: &str,
    pod: &Value,
    container: &Value,
    objects: &[(String, Value)],
    problems: &mut Vec<String>,
) {
    unknown_keys(place, container, CONTAINER, problems);
    for env in container["env"].as_array().into_iter().flatten() {
        let name = env["name"].as_str().unwrap_or("");
        if !(name.starts_with("VAO_") || secret_like(name)) {
            continue;
        }
        let reference = &env["valueFrom"]["secretKeyRef"];
        let secret = find(objects, "Secret", reference["name"].as_str().unwrap_or(""));
        let key = reference["key"].as_str().unwrap_or("");
        let has_key = secret
            .is_some_and(|s| s["stringData"].get(key).is_some() || s["data"].get(key).is_some());
        if env.get("value").is_some() || !has_key {
            problems.push(format!(
                "{place}: env {name} must come from a key of a Secret in the example (valueFrom.secretKeyRef)"
            ));
        }
    }
    let security = &container["securityContext"];
    if security["allowPrivilegeEscalation"] != false {
        problems.push(format!(
            "{place}: securityContext.allowPrivilegeEscalation: false"
        ));
    }
    if security["readOnlyRootFilesystem"] == true && volume_at(pod, container, "/tmp").is_none() {
        problems.push(format!(
            "{place}: the root file system is read-only and /tmp (drbook's lock folder) is not a volume"
        ));
    }
    let Some(words) = drbook_words(container) else {
        problems.push(format!("{place}: does not run drbook"));
        return;
    };
    let working_dir = container["workingDir"].as_str().unwrap_or("/");
    for flag in ["--report-dir", "--state-dir"] {
        for dir in flag_values(&words, flag) {
            let claim = volume_at(pod, container, &dir)
                .and_then(|(v, _)| v["persistentVolumeClaim"]["claimName"].as_str());
            let kept = claim.is_some_and(|c| find(objects, "PersistentVolumeClaim", c).is_some());
            if !kept {
                problems.push(format!(
                    "{place}: {flag} {dir} is not on a PersistentVolumeClaim of the example: the evidence would go with the pod"
                ));
            }
        }
    }
    // The runbook comes from a ConfigMap of the example holding the repository's file.
    if let Some(runbook) = words.get(1) {
        let path = format!("{}/{runbook}", working_dir.trim_end_matches('/'));
        let held = volume_at(pod, container, &path).and_then(|(volume, key)| {
            let map = find(objects, "ConfigMap", volume["configMap"]["name"].as_str()?)?;
            map["data"][&key].as_str()
        });
        let in_repo = std::fs::read_to_string(repo_root().join(runbook)).ok();
        match held {
            None => problems.push(format!(
                "{place}: {path} is not a key of a ConfigMap of the example"
            )),
            Some(text) if Some(text) != in_repo.as_deref() => problems.push(format!(
                "{place}: the ConfigMap's copy of {runbook} differs from the repository's: regenerate it (see configmap.yaml)"
            )),
            Some(_) => {}
        }
    }
}

pub fn kubernetes_problems(files: &Files) -> Vec<String> {
    let objects = objects(files);
    let mut problems = Vec::new();
    let cronjobs: Vec<&(String, Value)> = objects
        .iter()
        .filter(|(_, o)| o["kind"] == "CronJob")
        .collect();
    if cronjobs.is_empty() {
        problems.push("examples/kubernetes: no CronJob".to_owned());
    }
    for (file, cronjob) in cronjobs {
        let spec = &cronjob["spec"];
        unknown_keys(file, spec, CRONJOB_SPEC, &mut problems);
        problems.extend(
            schedule_problems(spec["schedule"].as_str().unwrap_or(""))
                .into_iter()
                .map(|p| format!("{file}: {p}")),
        );
        if spec["concurrencyPolicy"] != "Forbid" {
            problems.push(format!(
                "{file}: concurrencyPolicy: Forbid (drbook's locks do not reach across pods)"
            ));
        }
        let job = &spec["jobTemplate"]["spec"];
        unknown_keys(file, job, JOB_SPEC, &mut problems);
        if job["backoffLimit"] != 0 {
            problems.push(format!(
                "{file}: backoffLimit: 0 (a failed drill is never retried blindly)"
            ));
        }
        let pod = &job["template"]["spec"];
        unknown_keys(file, pod, POD_SPEC, &mut problems);
        if pod["restartPolicy"] != "Never" {
            problems.push(format!(
                "{file}: restartPolicy: Never (OnFailure runs the drill again in the same pod)"
            ));
        }
        if pod["securityContext"]["runAsNonRoot"] != true {
            problems.push(format!("{file}: securityContext.runAsNonRoot: true"));
        }
        let containers: Vec<(&str, &Value)> = ["initContainers", "containers"]
            .iter()
            .flat_map(|list| {
                pod[*list]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(move |c| (*list, c))
            })
            .collect();
        let mut checked = Vec::new();
        for (list, container) in &containers {
            let place = format!("{file}: {list} {}", container["name"]);
            container_problems(&place, pod, container, &objects, &mut problems);
            let words = drbook_words(container).unwrap_or_default();
            match words.first().map(String::as_str) {
                Some("check") if *list == "initContainers" => checked.extend(words.get(1).cloned()),
                Some("drill" | "run") if !checked.contains(&words[1]) => problems.push(format!(
                    "{place}: no init container runs `drbook check {}` before it",
                    words[1]
                )),
                _ => {}
            }
        }
    }
    problems
}

#[test]
fn the_kubernetes_cronjob_is_safe_for_a_drill() {
    let cronjob = "examples/kubernetes/cronjob.yaml";
    assert_lint_fires(
        kubernetes_problems,
        &[
            (
                cronjob,
                "concurrencyPolicy: Forbid",
                "concurrencyPolicy: Allow",
                "Forbid",
            ),
            (
                cronjob,
                "backoffLimit: 0",
                "backoffLimit: 6",
                "backoffLimit: 0",
            ),
            (
                cronjob,
                "restartPolicy: Never",
                "restartPolicy: OnFailure",
                "restartPolicy",
            ),
            (
                cronjob,
                "schedule: \"0 2 * * *\"",
                "schedule: \"0 2 * *\"",
                "five fields",
            ),
            (
                cronjob,
                "backoffLimit: 0",
                "backoffLimit: 0\n      backofLimit: 0",
                "`backofLimit`",
            ),
            (
                cronjob,
                "runAsNonRoot: true",
                "runAsNonRoot: false",
                "runAsNonRoot",
            ),
            (
                cronjob,
                "allowPrivilegeEscalation: false",
                "allowPrivilegeEscalation: true",
                "allowPrivilegeEscalation",
            ),
            (cronjob, "key: password", "key: pasword", "env VAO_PASSWORD"),
            (
                cronjob,
                "- name: VAO_PASSWORD\n                  valueFrom:\n                    secretKeyRef:\n                      name: drbook-vao\n                      key: password",
                "- name: VAO_PASSWORD\n                  value: hunter2",
                "env VAO_PASSWORD",
            ),
            (
                cronjob,
                "claimName: drbook-reports",
                "claimName: drbook-report",
                "not on a PersistentVolumeClaim",
            ),
            (
                cronjob,
                "persistentVolumeClaim:\n                claimName: drbook-reports",
                "emptyDir: {}",
                "not on a PersistentVolumeClaim",
            ),
            (
                cronjob,
                "                  mountPath: /tmp\n",
                "                  mountPath: /scratch\n",
                "/tmp",
            ),
            (
                cronjob,
                "mountPath: /drbook/runbooks",
                "mountPath: /drbook/books",
                "not a key of a ConfigMap",
            ),
            (
                cronjob,
                "                - check\n",
                "                - validate\n",
                "no init container runs `drbook check",
            ),
            (
                "examples/kubernetes/configmap.yaml",
                "timeout: 1h",
                "timeout: 2h",
                "differs from the repository's",
            ),
            (
                "examples/kubernetes/secret.yaml",
                "  password: change-me\n",
                "",
                "env VAO_PASSWORD",
            ),
            (
                "examples/kubernetes/pvc.yaml",
                "name: drbook-reports",
                "name: reports",
                "not on a PersistentVolumeClaim",
            ),
        ],
    );
}
