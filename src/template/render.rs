//! Renders handlebars templates in a parsed runbook's string values.
//!
//! Rendering happens after parsing, value by value, so a variable can never change the
//! runbook's structure: whatever a value holds, it stays one scalar. Strict mode makes an
//! undefined variable an error; nothing is HTML-escaped. A value that is one whole template
//! (`"{{flag}}"`) takes the variable's own type, so a boolean variable fills a boolean field.

use super::dates::{self, Clock, HelperError};
use super::vars::{VarSource, Variables, is_variable_name};
use crate::runbook::text::display_path;
use crate::runbook::{Diagnostic, Key, Node, Pos, Value};
use handlebars::{Handlebars, RenderErrorReason};

/// Top-level keys whose values are never rendered: the variables themselves are data.
const LITERAL_KEYS: &[&str] = &["vars"];

/// The helpers handlebars registers itself: `{{eq}}` calls one, whatever the variables say.
const BUILT_IN_HELPERS: &[&str] = &[
    "if", "unless", "each", "with", "lookup", "raw", "log", "eq", "ne", "gt", "gte", "lt", "lte",
    "and", "or", "not", "len",
];

/// Whether `{{name}}` calls a helper: such a name cannot be a variable's.
pub fn is_helper_name(name: &str) -> bool {
    BUILT_IN_HELPERS.contains(&name) || dates::HELPERS.contains(&name)
}

/// A handlebars registry configured the way runbooks need it, its date helpers relative to
/// `clock`.
pub fn registry(clock: Clock) -> Handlebars<'static> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_escape_fn(handlebars::no_escape);
    dates::register(&mut hb, clock);
    hb
}

/// Renders every templated string in `root` at `clock`; reports every failure with its
/// position.
pub fn render(
    file: &str,
    root: &Node,
    vars: &Variables,
    clock: Clock,
) -> Result<Node, Vec<Diagnostic>> {
    let mut renderer = Renderer {
        file,
        root,
        hb: registry(clock),
        vars,
        context: vars.to_context(),
        problems: Vec::new(),
    };
    renderer.helper_named_variables();
    let mut path = Vec::new();
    let rendered = renderer.node(root, &mut path);
    if renderer.problems.is_empty() {
        Ok(rendered)
    } else {
        Err(renderer.problems)
    }
}

struct Renderer<'a> {
    file: &'a str,
    root: &'a Node,
    hb: Handlebars<'static>,
    vars: &'a Variables,
    context: serde_json::Value,
    problems: Vec<Diagnostic>,
}

/// The variable name of a value that is exactly one `{{name}}`, if it is (`{{now}}` is a
/// helper call, not a variable).
fn whole_template(text: &str) -> Option<&str> {
    let inner = text.trim().strip_prefix("{{")?.strip_suffix("}}")?.trim();
    (is_variable_name(inner) && !is_helper_name(inner)).then_some(inner)
}

/// Names handlebars reads as something other than a variable.
const KEYWORDS: &[&str] = &["this", "else", "true", "false", "null", "undefined"];

/// Renders a template made only of text and `{{name}}` expressions naming defined scalar
/// variables, exactly as handlebars would (no escaping: strings as they are, numbers and
/// booleans as JSON writes them), without compiling it; `None` for anything else (blocks,
/// helpers, paths, comments, escapes, whitespace control, an undefined or null variable),
/// which handlebars then renders, or reports. Most runbook templates are of this kind, and
/// compiling each with handlebars made rendering the larger part of `drbook validate`.
fn substitute(text: &str, vars: &Variables) -> Option<String> {
    if text.contains("\\{{") {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let inside = &rest[start + 2..];
        let end = inside.find("}}")?;
        let name = inside[..end].trim();
        if !is_variable_name(name) || KEYWORDS.contains(&name) || is_helper_name(name) {
            return None;
        }
        match &vars.get(name)?.value {
            serde_json::Value::String(s) => out.push_str(s),
            serde_json::Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            serde_json::Value::Number(n) => out.push_str(&n.to_string()),
            _ => return None,
        }
        rest = &inside[end + 2..];
        // `{{x}}}` and the like: leave the odd braces to handlebars.
        if rest.starts_with('}') {
            return None;
        }
    }
    out.push_str(rest);
    Some(out)
}

impl Renderer<'_> {
    fn node(&mut self, node: &Node, path: &mut Vec<String>) -> Node {
        let value = match &node.value {
            Value::String(text) if text.contains("{{") => self.string(node, text, path),
            Value::Seq(items) => Value::Seq(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        path.push(i.to_string());
                        let rendered = self.node(item, path);
                        path.pop();
                        rendered
                    })
                    .collect(),
            ),
            Value::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(key, value)| {
                        if path.is_empty() && LITERAL_KEYS.contains(&key.name.as_str()) {
                            return (key.clone(), value.clone());
                        }
                        path.push(key.name.clone());
                        let rendered = self.node(value, path);
                        path.pop();
                        (Key::clone(key), rendered)
                    })
                    .collect(),
            ),
            other => other.clone(),
        };
        Node::new(value, node.pos)
    }

    fn string(&mut self, node: &Node, text: &str, path: &[String]) -> Value {
        if let Some(name) = whole_template(text) {
            return match self.vars.get(name) {
                Some(var) => Node::from_json(&var.value, node.pos).value,
                None => {
                    self.undefined(node, path, name);
                    Value::String(text.to_owned())
                }
            };
        }
        if let Some(rendered) = substitute(text, self.vars) {
            return Value::String(rendered);
        }
        match self.hb.render_template(text, &self.context) {
            Ok(rendered) => Value::String(rendered),
            Err(error) => {
                match error.reason() {
                    RenderErrorReason::MissingVariable(Some(name)) => {
                        self.undefined(node, path, name)
                    }
                    RenderErrorReason::NestedError(inner)
                        if let Some(e) = inner.downcast_ref::<HelperError>() =>
                    {
                        self.problem(node, path, e.message.clone(), e.hint.clone())
                    }
                    RenderErrorReason::TemplateError(t) => self.problem(
                        node,
                        path,
                        format!("invalid template: {}", t.reason()),
                        None,
                    ),
                    other => self.problem(node, path, format!("template error: {other}"), None),
                }
                Value::String(text.to_owned())
            }
        }
    }

    /// A variable named like a helper could never be read: `{{today}}` calls the helper.
    fn helper_named_variables(&mut self) {
        for (name, var) in self.vars.iter().filter(|(name, _)| is_helper_name(name)) {
            let message = format!(
                "variable `{name}` has the name of a template helper, so `{{{{{name}}}}}` would call the helper"
            );
            let (file, pos, path) = match &var.source {
                VarSource::Runbook => {
                    let key = self.root.get("vars").and_then(|vars| match &vars.value {
                        Value::Map(entries) => entries.iter().find(|(k, _)| k.name == *name),
                        _ => None,
                    });
                    let pos = key.map_or(Pos::default(), |(k, _)| k.pos);
                    (self.file.to_owned(), pos, format!("vars.{name}"))
                }
                VarSource::Env(variable) => (
                    format!("environment variable {variable}"),
                    Pos::default(),
                    String::new(),
                ),
                VarSource::File(file) => (file.clone(), Pos::default(), name.clone()),
                VarSource::Cli => ("--var".to_owned(), Pos::default(), String::new()),
                VarSource::Resumed(source) => (source.clone(), Pos::default(), String::new()),
            };
            self.problems.push(
                Diagnostic::new(&file, pos, path, message).with_hint(format!(
                    "rename the variable, for example to `{name}_value`"
                )),
            );
        }
    }

    fn undefined(&mut self, node: &Node, path: &[String], name: &str) {
        let mut known: Vec<&str> = self.vars.iter().map(|(k, _)| k.as_str()).collect();
        known.sort_unstable();
        let hint = match crate::runbook::text::did_you_mean(name, known.iter().copied()) {
            Some(s) => format!(
                "did you mean `{s}`? Variables come from `vars:`, --vars-file, --var {name}=... or DRBOOK_VAR_{name}"
            ),
            None => format!(
                "define it in the runbook's `vars:`, a --vars-file, --var {name}=... or DRBOOK_VAR_{name}"
            ),
        };
        self.problem(
            node,
            path,
            format!("undefined variable `{name}`"),
            Some(hint),
        );
    }

    fn problem(&mut self, node: &Node, path: &[String], message: String, hint: Option<String>) {
        let mut d = Diagnostic::new(self.file, node.pos, display_path(self.root, path), message);
        d.hint = hint;
        self.problems.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::yaml::parse;
    use crate::template::vars::VarSource;
    use serde_json::json;

    fn clock() -> Clock {
        Clock::parse("2026-11-28T02:00:00Z").unwrap()
    }

    fn vars(pairs: &[(&str, serde_json::Value)]) -> Variables {
        let mut v = Variables::default();
        for (k, val) in pairs {
            v.insert(k, val.clone(), VarSource::Cli);
        }
        v
    }

    #[test]
    fn whole_templates_keep_the_variable_type() {
        let root = parse("rb", "a: '{{flag}}'\nb: 'x{{flag}}'\nc: '{{ id }}'\n").unwrap();
        let out = render(
            "rb",
            &root,
            &vars(&[("flag", json!(true)), ("id", json!("abc"))]),
            clock(),
        )
        .unwrap();
        assert_eq!(out.get("a").unwrap().value, Value::Bool(true));
        assert_eq!(out.get("b").unwrap().value, Value::String("xtrue".into()));
        assert_eq!(out.get("c").unwrap().value, Value::String("abc".into()));
    }

    #[test]
    fn values_cannot_change_structure_and_are_not_escaped() {
        let root = parse("rb", "steps:\n  - name: '{{evil}}'\n").unwrap();
        let evil = "x\n- failover:\n    plan_id: <&>\"";
        let out = render("rb", &root, &vars(&[("evil", json!(evil))]), clock()).unwrap();
        let name = out
            .at_path(&["steps".into(), "0".into(), "name".into()])
            .unwrap();
        assert_eq!(name.value, Value::String(evil.into()));
        let partial = parse("rb", "n: 'a {{evil}}'\n").unwrap();
        let out = render("rb", &partial, &vars(&[("evil", json!("<&>"))]), clock()).unwrap();
        assert_eq!(out.get("n").unwrap().value, Value::String("a <&>".into()));
    }

    #[test]
    fn undefined_variables_are_named_with_their_position() {
        let root = parse(
            "rb",
            "steps:\n  - failover:\n      plan_id: '{{app_plan}}'\n  - name: 'x {{nope}} y'\n",
        )
        .unwrap();
        let errs = render("rb", &root, &vars(&[("app_plans", json!("z"))]), clock()).unwrap_err();
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[0].message, "undefined variable `app_plan`");
        assert_eq!(errs[0].path, "steps[0].failover.plan_id");
        assert_eq!((errs[0].line, errs[0].column), (3, 16));
        assert!(
            errs[0]
                .hint
                .as_deref()
                .unwrap()
                .contains("did you mean `app_plans`")
        );
        assert_eq!(errs[1].message, "undefined variable `nope`");
        assert_eq!(errs[1].path, "steps[1].name");
    }

    #[test]
    fn plain_substitution_renders_what_handlebars_renders() {
        let vars = vars(&[
            ("site", json!("site-b <&> {{x}}")),
            ("n", json!(12)),
            ("f", json!(1.5)),
            ("flag", json!(false)),
            ("nothing", json!(null)),
            ("list", json!([1, 2])),
        ]);
        let hb = registry(Clock::now());
        let context = vars.to_context();
        let cases = [
            "plain text",
            "a {{site}} b",
            "{{ site }}{{n}}/{{f}}-{{flag}}",
            "}} {{site}} {{",
            "x {{site}}}",
            "{{{site}}}",
            "{{~site}}",
            "\\{{site}}",
            "{{nothing}} and {{list}}",
            "{{this}}",
            "{{#if flag}}yes{{else}}no{{/if}}",
            "{{site.len}}",
            "{{! a comment }}{{n}}",
            "{{undefined_name}}",
        ];
        for text in cases {
            let handlebars = hb.render_template(text, &context).ok();
            if let Some(fast) = substitute(text, &vars) {
                assert_eq!(Some(fast), handlebars, "{text:?}");
            }
        }
        assert_eq!(
            substitute("a {{site}} b", &vars).as_deref(),
            Some("a site-b <&> {{x}} b")
        );
        assert_eq!(
            substitute("{{n}}/{{f}}-{{flag}}", &vars).as_deref(),
            Some("12/1.5-false")
        );
        for other in [
            "{{undefined_name}}",
            "{{nothing}}",
            "{{#if flag}}y{{/if}}",
            "{{this}}",
        ] {
            assert_eq!(substitute(other, &vars), None, "{other:?}");
        }
    }

    proptest::proptest! {
        /// Whenever the shortcut renders, it renders what handlebars renders.
        #[test]
        fn plain_substitution_agrees_with_handlebars(
            parts in proptest::collection::vec(proptest::sample::select(vec![
                "{{", "}}", "{", "}", " ", "site", "n", "flag", "nothing", "nope", "#if", "/if",
                "else", "this", "~", "\\", "!", ".", "x", "é",
            ]), 0..12)
        ) {
            let text = parts.concat();
            let vars = vars(&[
                ("site", json!("b")),
                ("n", json!(7)),
                ("flag", json!(true)),
                ("nothing", json!(null)),
            ]);
            if let Some(fast) = substitute(&text, &vars) {
                let slow = registry(Clock::now()).render_template(&text, &vars.to_context()).ok();
                proptest::prop_assert_eq!(Some(fast), slow, "{:?}", text);
            }
        }
    }

    #[test]
    fn vars_are_data_and_syntax_errors_are_reported() {
        let root = parse("rb", "vars:\n  a: '{{b}}'\nx: '{{#if}}'\n").unwrap();
        let errs = render("rb", &root, &Variables::default(), clock()).unwrap_err();
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].path, "x");
        assert!(errs[0].message.contains("template"), "{}", errs[0].message);
    }

    #[test]
    fn date_helpers_render_at_the_clock_and_report_problems_where_they_are() {
        let root = parse(
            "rb",
            "a: '{{now}}'\nb: 'drill {{today}}'\nsteps:\n  - failover:\n      restore_point: '{{ago \"1 fortnight\"}}'\n  - name: '{{format_date (now) \"%Q\"}}'\n",
        )
        .unwrap();
        let errs = render("rb", &root, &Variables::default(), clock()).unwrap_err();
        assert_eq!(errs.len(), 2, "{errs:#?}");
        assert_eq!(errs[0].path, "steps[0].failover.restore_point");
        assert_eq!((errs[0].line, errs[0].column), (5, 22));
        assert!(
            errs[0].message.starts_with("`ago`: expected a duration"),
            "{}",
            errs[0].message
        );
        assert!(
            errs[0]
                .hint
                .as_deref()
                .unwrap()
                .contains(r#"{{ago "24h"}}"#)
        );
        assert_eq!(errs[1].path, "steps[1].name");
        assert!(
            errs[1].message.contains("invalid format"),
            "{}",
            errs[1].message
        );

        let root = parse("rb", "a: '{{now}}'\nb: 'drill {{today days=-1}}'\n").unwrap();
        let out = render("rb", &root, &Variables::default(), clock()).unwrap();
        assert_eq!(
            out.get("a").unwrap().value,
            Value::String("2026-11-28T02:00:00Z".into()),
            "a whole `{{now}}` is a helper call, not a variable"
        );
        assert_eq!(
            out.get("b").unwrap().value,
            Value::String("drill 2026-11-27".into())
        );
    }

    #[test]
    fn helper_names_are_helpers_not_variables() {
        for name in BUILT_IN_HELPERS.iter().chain(&dates::HELPERS) {
            assert!(is_helper_name(name));
            let rendered = registry(clock())
                .render_template(&format!("{{{{{name}}}}}"), &json!({ *name: "variable" }));
            assert_ne!(rendered.ok().as_deref(), Some("variable"), "{name}");
        }
        assert!(!is_helper_name("db_plan"));
    }

    #[test]
    fn a_variable_cannot_be_named_like_a_helper() {
        let root = parse("rb", "vars:\n  today: x\n  ok: y\nname: '{{ok}}'\n").unwrap();
        let mut variables = Variables::default();
        variables.insert("today", json!("x"), VarSource::Runbook);
        variables.insert("ok", json!("y"), VarSource::Runbook);
        variables.insert("eq", json!("z"), VarSource::Cli);
        let errs = render("rb", &root, &variables, clock()).unwrap_err();
        assert_eq!(errs.len(), 2, "{errs:#?}");
        let eq = errs.iter().find(|d| d.file == "--var").unwrap();
        assert!(
            eq.message
                .starts_with("variable `eq` has the name of a template helper")
        );
        let today = errs.iter().find(|d| d.file == "rb").unwrap();
        assert_eq!(
            (today.line, today.column, today.path.as_str()),
            (2, 3, "vars.today")
        );
        assert!(today.message.contains("`{{today}}` would call the helper"));
    }
}
