//! The Argo Workflows example, expanded the way Argo's controller runs it: from the
//! entrypoint, through each `steps` group and every item of its `withItems`,
//! down to each container it would start, with `{{item...}}` and `{{inputs.parameters...}}`
//! substituted (Argo substitutes in the template's JSON, and so does this). So every drbook
//! command line the workflow would run, per site, is one the examples' lint can hold against
//! the real binary, and the image tests can run.

use drbook::runbook::{Node, Value as NodeValue};
use serde_json::Value;
use std::collections::BTreeMap;

pub const WORKFLOW: &str = "examples/argo/fleet-drill.yaml";

/// One container the workflow would start.
#[derive(Debug)]
pub struct Pod {
    /// `examples/argo/fleet-drill.yaml:140 (site-a: site > check)`: the template's line,
    /// the item and the steps that lead to it.
    pub place: String,
    /// The item of the outermost `withItems` this pod runs for (its `site`, or its index).
    pub item: String,
    /// The template's name.
    pub template: String,
    /// The index of the `steps` group at each level on the way: a pod whose path sorts
    /// before another's in the same item runs before it has started.
    pub groups: Vec<usize>,
    /// The container, parameters substituted.
    pub container: Value,
}

/// The workflow's spec: a Workflow's or WorkflowTemplate's `spec`, a CronWorkflow's
/// `spec.workflowSpec`.
fn spec(root: &Node) -> Option<&Node> {
    let spec = root.get("spec")?;
    spec.get("workflowSpec").or(Some(spec))
}

/// Replaces `{{prefix.NAME}}` in the JSON text of `value` by each value, escaped for JSON.
fn substitute(value: &Value, prefix: &str, values: &BTreeMap<String, String>) -> Value {
    let mut text = value.to_string();
    for (name, with) in values {
        let escaped = serde_json::to_string(with).unwrap();
        let escaped = &escaped[1..escaped.len() - 1];
        let key = if name.is_empty() {
            format!("{{{{{prefix}}}}}")
        } else {
            format!("{{{{{prefix}.{name}}}}}")
        };
        text = text.replace(&key, escaped);
    }
    serde_json::from_str(&text).unwrap()
}

struct Expander<'a> {
    file: &'a str,
    templates: BTreeMap<String, (&'a Node, Value)>,
    pods: Vec<Pod>,
}

impl Expander<'_> {
    fn template(
        &mut self,
        name: &str,
        params: &BTreeMap<String, String>,
        item: &str,
        trail: &str,
        groups: &[usize],
    ) -> Result<(), String> {
        if groups.len() > 16 {
            return Err(format!(
                "{}: templates call each other in a loop",
                self.file
            ));
        }
        let (node, json) = self
            .templates
            .get(name)
            .cloned()
            .ok_or_else(|| format!("{}: no template named {name:?} ({trail})", self.file))?;
        let place = format!("{}:{}", self.file, node.pos.line);
        let mut params = params.clone();
        for input in json["inputs"]["parameters"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let input_name = input["name"].as_str().unwrap_or_default().to_owned();
            if params.contains_key(&input_name) {
                continue;
            }
            match input["value"].as_str().or(input["default"].as_str()) {
                Some(default) => {
                    params.insert(input_name, default.to_owned());
                }
                None => {
                    return Err(format!(
                        "{place}: template {name:?} needs the parameter {input_name:?}, which {trail} does not pass"
                    ));
                }
            }
        }
        let json = substitute(&json, "inputs.parameters", &params);
        if let Some(container) = json.get("container") {
            let text = container.to_string();
            if let Some(at) = text.find("{{") {
                let end = text[at..].find("}}").map_or(text.len(), |e| at + e + 2);
                return Err(format!(
                    "{place}: template {name:?} ({trail}): {} is not substituted",
                    &text[at..end]
                ));
            }
            self.pods.push(Pod {
                place: format!("{place} ({item}: {trail})"),
                item: item.to_owned(),
                template: name.to_owned(),
                groups: groups.to_vec(),
                container: container.clone(),
            });
            return Ok(());
        }
        let Some(steps) = json["steps"].as_array() else {
            return Err(format!(
                "{place}: template {name:?} has no container and no steps: this test cannot expand it"
            ));
        };
        let calls = steps.iter().enumerate().flat_map(|(g, group)| {
            let group = group.as_array().cloned().unwrap_or_default();
            group.into_iter().map(move |call| (g, call))
        });
        for (group, call) in calls {
            let step = call["name"].as_str().unwrap_or("?");
            if call.get("withParam").is_some() || call.get("withSequence").is_some() {
                return Err(format!(
                    "{place}: step {step:?} loops over withParam/withSequence, which a test cannot expand: list the items in withItems"
                ));
            }
            let called = call["template"]
                .as_str()
                .ok_or_else(|| format!("{place}: step {step:?} names no template (templateRef?)"))?
                .to_owned();
            let items = match call.get("withItems") {
                Some(Value::Array(items)) => items.iter().cloned().map(Some).collect(),
                _ => vec![None],
            };
            for (index, each) in items.into_iter().enumerate() {
                let mut arguments = call["arguments"]["parameters"].clone();
                let mut this_item = item.to_owned();
                if let Some(each) = &each {
                    let fields: BTreeMap<String, String> = match each {
                        Value::Object(map) => map
                            .iter()
                            .map(|(k, v)| {
                                (k.clone(), v.as_str().map_or(v.to_string(), str::to_owned))
                            })
                            .collect(),
                        other => [(
                            String::new(),
                            other.as_str().map_or(other.to_string(), str::to_owned),
                        )]
                        .into(),
                    };
                    arguments = substitute(&arguments, "item", &fields);
                    this_item = fields
                        .get("site")
                        .cloned()
                        .unwrap_or_else(|| format!("item {index}"));
                }
                let mut passed = BTreeMap::new();
                for argument in arguments.as_array().into_iter().flatten() {
                    let value = argument["value"].as_str().ok_or_else(|| {
                        format!(
                            "{place}: step {step:?}: argument {} has no string value",
                            argument["name"]
                        )
                    })?;
                    passed.insert(
                        argument["name"].as_str().unwrap_or_default().to_owned(),
                        value.to_owned(),
                    );
                }
                let trail = if trail.is_empty() {
                    step.to_owned()
                } else {
                    format!("{trail} > {step}")
                };
                let mut path = groups.to_vec();
                path.push(group);
                self.template(&called, &passed, &this_item, &trail, &path)?;
            }
        }
        Ok(())
    }
}

/// Every container the workflow in `root` would start, in the order Argo starts them within
/// each item (a `steps` group after the one before it).
pub fn expand(file: &str, root: &Node) -> Result<Vec<Pod>, String> {
    let spec = spec(root).ok_or_else(|| format!("{file}: no spec"))?;
    let entrypoint = spec
        .get("entrypoint")
        .and_then(Node::as_str)
        .ok_or_else(|| format!("{file}: no entrypoint"))?;
    let workflow_args = spec.get("arguments").map(Node::to_json).unwrap_or_default();
    let mut arguments = BTreeMap::new();
    for p in workflow_args["parameters"].as_array().into_iter().flatten() {
        if let (Some(name), Some(value)) = (p["name"].as_str(), p["value"].as_str()) {
            arguments.insert(name.to_owned(), value.to_owned());
        }
    }
    // Every template sees the workflow's parameters as `{{workflow.parameters.NAME}}`.
    let spec_json = substitute(&spec.to_json(), "workflow.parameters", &arguments);
    // Each template: its node for its line, its substituted JSON for its values.
    let mut templates = BTreeMap::new();
    if let Some(NodeValue::Seq(items)) = spec.get("templates").map(|t| &t.value) {
        for (i, template) in items.iter().enumerate() {
            if let Some(name) = template.get("name").and_then(Node::as_str) {
                templates.insert(
                    name.to_owned(),
                    (template, spec_json["templates"][i].clone()),
                );
            }
        }
    }
    let mut expander = Expander {
        file,
        templates,
        pods: Vec::new(),
    };
    expander.template(entrypoint, &BTreeMap::new(), "", "", &[])?;
    Ok(expander.pods)
}

/// Each site is checked, then drilled (in a later steps group, so only after the check
/// passed), with its own account, and its own report and state folders on the shared
/// volume; and there is more than one site, in parallel.
#[test]
fn every_site_is_checked_then_drilled_with_its_own_account_and_folders() {
    let files = crate::examples::example_files();
    let root = crate::examples::parse_yaml(WORKFLOW, &files[WORKFLOW]).unwrap();
    let pods = expand(WORKFLOW, &root).unwrap();
    let mut sites: BTreeMap<&str, Vec<&Pod>> = BTreeMap::new();
    for pod in &pods {
        sites.entry(pod.item.as_str()).or_default().push(pod);
    }
    assert!(sites.len() >= 2, "{sites:#?}");
    let flag = |pod: &Pod, name: &str| -> String {
        let args = pod.container["args"].as_array().unwrap();
        let at = args
            .iter()
            .position(|a| a == name)
            .unwrap_or_else(|| panic!("{}: no {name}", pod.place));
        args[at + 1].as_str().unwrap().to_owned()
    };
    let mut accounts = Vec::new();
    let mut folders = Vec::new();
    for (site, pods) in &sites {
        let commands: Vec<&str> = pods
            .iter()
            .map(|p| p.container["args"][0].as_str().unwrap())
            .collect();
        assert_eq!(commands, ["check", "drill"], "{site}");
        let (check, drill) = (pods[0], pods[1]);
        let depth = check.groups.len() - 1;
        assert_eq!(
            check.groups[..depth],
            drill.groups[..depth],
            "{site}: one site template"
        );
        assert!(
            check.groups[depth] < drill.groups[depth],
            "{site}: the drill's steps group comes after the check's"
        );
        for pod in [check, drill] {
            let env = pod.container["env"].as_array().unwrap();
            let secrets: Vec<&str> = env
                .iter()
                .filter_map(|e| e["valueFrom"]["secretKeyRef"]["name"].as_str())
                .collect();
            assert_eq!(
                secrets.len(),
                2,
                "{}: VAO_USERNAME and VAO_PASSWORD",
                pod.place
            );
            assert!(secrets.iter().all(|s| *s == secrets[0]), "{}", pod.place);
            accounts.push((site.to_string(), secrets[0].to_owned()));
            assert!(
                flag(pod, "--report-dir").starts_with("/var/lib/drbook/"),
                "{}",
                pod.place
            );
        }
        folders.push(flag(drill, "--report-dir"));
        folders.push(flag(drill, "--state-dir"));
        assert_eq!(
            flag(check, "--report-dir"),
            flag(drill, "--report-dir"),
            "{site}"
        );
    }
    // Clients that share one VAO account log each other out: one Secret per site.
    let secrets: std::collections::BTreeSet<&String> = accounts.iter().map(|(_, s)| s).collect();
    assert_eq!(secrets.len(), sites.len(), "{accounts:?}");
    let distinct: std::collections::BTreeSet<&String> = folders.iter().collect();
    assert_eq!(distinct.len(), folders.len(), "{folders:?}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::examples::parse_yaml;

    const SMALL: &str = r#"
kind: Workflow
spec:
  entrypoint: all
  arguments:
    parameters:
      - name: dir
        value: /r
  templates:
    - name: all
      steps:
        - - name: one
            template: run
            arguments:
              parameters:
                - name: what
                  value: "{{item.what}}"
                - name: dir
                  value: "{{workflow.parameters.dir}}"
            withItems:
              - what: a "quoted" one
              - what: b
    - name: run
      inputs:
        parameters:
          - name: what
          - name: dir
          - name: extra
            default: x
      container:
        args: ["{{inputs.parameters.what}}", "{{inputs.parameters.dir}}/{{inputs.parameters.extra}}"]
"#;

    #[test]
    fn items_and_parameters_are_substituted_in_order() {
        let root = parse_yaml("w.yaml", SMALL).unwrap();
        let pods = expand("w.yaml", &root).unwrap();
        let args: Vec<&Value> = pods.iter().map(|p| &p.container["args"]).collect();
        assert_eq!(
            args,
            [
                &serde_json::json!(["a \"quoted\" one", "/r/x"]),
                &serde_json::json!(["b", "/r/x"])
            ]
        );
        assert_eq!(pods[0].template, "run");
        assert!(pods[1].place.starts_with("w.yaml:"), "{}", pods[1].place);
    }

    #[test]
    fn what_cannot_be_expanded_is_an_error() {
        for (from, to, expected) in [
            (
                "{{inputs.parameters.what}}",
                "{{inputs.parameters.wat}}",
                "{{inputs.parameters.wat}} is not substituted",
            ),
            (
                "template: run",
                "template: ran",
                "no template named \"ran\"",
            ),
            (
                "withItems:",
                "withParam: x\n            unused:",
                "withParam",
            ),
            (
                "          - name: dir\n          - name: extra",
                "          - name: dirr\n          - name: extra",
                "needs the parameter \"dirr\"",
            ),
        ] {
            assert_eq!(SMALL.matches(from).count(), 1, "{from}");
            let text = SMALL.replace(from, to);
            let root = parse_yaml("w.yaml", &text).unwrap();
            let error = expand("w.yaml", &root).unwrap_err();
            assert!(error.contains(expected), "{from} → {to}: {error}");
        }
    }
}
