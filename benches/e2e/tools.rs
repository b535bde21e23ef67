//! The clients compared in the executor benchmark, each set up to make drbook's requests
//! for a scenario: the floor, drbook, curl (one process per request, and one process with
//! `--next`), hurl and ansible-playbook (each skipped, with the reason, when not installed).

use super::floor::FloorArgs;
use super::generate;
use super::server::{PASSWORD, TOKEN, USERNAME};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One run of the executor benchmark: N failover steps over HTTP or HTTPS, waiting for
/// completion or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Scenario {
    pub tls: bool,
    pub steps: usize,
    pub wait: bool,
}

impl Scenario {
    /// The requests drbook makes: the token, then per step the guard's plan read, the
    /// failover and (when waiting, for plans that complete at once) one runtime-details read.
    pub fn requests(&self) -> u64 {
        1 + self.steps as u64 * if self.wait { 3 } else { 2 }
    }

    pub fn label(&self) -> String {
        format!(
            "{} · {} step{} · wait_for_completion: {}",
            if self.tls { "HTTPS" } else { "HTTP" },
            self.steps,
            if self.steps == 1 { "" } else { "s" },
            self.wait
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tool {
    Floor,
    Drbook,
    CurlNext,
    Hurl,
    CurlLoop,
    Ansible,
}

impl Tool {
    pub const ALL: [Tool; 6] = [
        Tool::Floor,
        Tool::Drbook,
        Tool::CurlNext,
        Tool::Hurl,
        Tool::CurlLoop,
        Tool::Ansible,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Tool::Floor => "floor (reqwest keep-alive)",
            Tool::Drbook => "drbook run",
            Tool::CurlNext => "curl --next (one process)",
            Tool::Hurl => "hurl",
            Tool::CurlLoop => "curl in a loop",
            Tool::Ansible => "ansible-playbook (uri)",
        }
    }
}

/// Where the programs are, found once.
pub struct Programs {
    pub bench: PathBuf,
    pub drbook: PathBuf,
    pub curl: Option<PathBuf>,
    pub hurl: Option<PathBuf>,
    pub ansible: Option<PathBuf>,
    /// `--tools`: run only these.
    pub only: Option<Vec<String>>,
}

impl Programs {
    pub fn find() -> Programs {
        Programs {
            bench: std::env::current_exe().expect("the benchmark's own path"),
            drbook: PathBuf::from(env!("CARGO_BIN_EXE_drbook")),
            curl: on_path("curl"),
            hurl: from_env("DRBOOK_BENCH_HURL").or_else(|| on_path("hurl")),
            ansible: from_env("DRBOOK_BENCH_ANSIBLE_PLAYBOOK")
                .or_else(|| on_path("ansible-playbook")),
            only: None,
        }
    }

    /// Why a tool cannot run here, if it cannot.
    pub fn missing(&self, tool: Tool) -> Option<&'static str> {
        let first_word = tool.name().split([' ', '-']).next().unwrap_or_default();
        if tool != Tool::Floor
            && self
                .only
                .as_ref()
                .is_some_and(|only| !only.iter().any(|o| o == first_word))
        {
            return Some("not asked for (--tools)");
        }
        match tool {
            Tool::CurlNext | Tool::CurlLoop if self.curl.is_none() => Some("curl not found"),
            Tool::Hurl if self.hurl.is_none() => {
                Some("hurl not found (`cargo install hurl`, or set DRBOOK_BENCH_HURL)")
            }
            Tool::Ansible if self.ansible.is_none() => Some(
                "ansible-playbook not found (pip install ansible-core in a virtualenv, or set DRBOOK_BENCH_ANSIBLE_PLAYBOOK)",
            ),
            _ => None,
        }
    }
}

fn from_env(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .map(PathBuf::from)
        .filter(|p| p.is_file())
}

pub fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The files of one scenario, in a directory on tmpfs.
pub struct Setup<'a> {
    pub programs: &'a Programs,
    pub dir: &'a Path,
    pub server: &'a str,
    /// The CA certificate (PEM file) for HTTPS.
    pub ca_cert: Option<&'a Path>,
    pub scenario: Scenario,
}

impl<'a> Setup<'a> {
    /// A plain-HTTP scenario of `steps` steps that wait for completion.
    pub fn http_waiting(
        programs: &'a Programs,
        dir: &'a Path,
        server: &'a str,
        steps: usize,
    ) -> Setup<'a> {
        Setup {
            programs,
            dir,
            server,
            ca_cert: None,
            scenario: Scenario {
                tls: false,
                steps,
                wait: true,
            },
        }
    }
}

/// Empties a run's report, journal and lock folders (between samples).
pub fn fresh(dir: &Path) {
    for sub in ["reports", "state", "locks"] {
        let path = dir.join(sub);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("a scratch folder");
    }
}

const FAILOVER_BODY: &str =
    r#"{"executeChainedPlans":false,"restorePointDate":null,"protectStorageVolumes":true}"#;

/// The commands a tool runs for a scenario, one after the other (several only for curl in
/// a loop).
pub fn commands(tool: Tool, setup: &Setup) -> Vec<Command> {
    match tool {
        Tool::Floor => vec![floor(setup)],
        Tool::Drbook => vec![drbook(setup, &setup.dir.join("state"))],
        Tool::CurlNext => vec![curl_next(setup)],
        Tool::CurlLoop => curl_loop(setup),
        Tool::Hurl => vec![hurl(setup)],
        Tool::Ansible => vec![ansible(setup)],
    }
}

fn floor(setup: &Setup) -> Command {
    let args = FloorArgs {
        server: setup.server.to_owned(),
        steps: setup.scenario.steps,
        wait: setup.scenario.wait,
        ca_cert: setup.ca_cert.map(|p| p.display().to_string()),
    };
    let mut command = Command::new(&setup.programs.bench);
    command.args(args.to_args());
    command
}

/// The runbook of a scenario, written once.
pub fn runbook_file(dir: &Path, scenario: Scenario) -> PathBuf {
    let path = dir.join(format!("runbook-{}-{}.yaml", scenario.steps, scenario.wait));
    if !path.exists() {
        let mut spec = generate::Spec::new(scenario.steps);
        spec.wait_for_completion = scenario.wait;
        std::fs::write(&path, generate::runbook(&spec)).expect("write the runbook");
    }
    path
}

/// `drbook run` of the scenario's runbook, its journal in `state_dir`.
pub fn drbook(setup: &Setup, state_dir: &Path) -> Command {
    let runbook = runbook_file(setup.dir, setup.scenario);
    let mut command = Command::new(&setup.programs.drbook);
    command
        .arg("run")
        .arg(runbook)
        .args(["--yes", "--server", setup.server])
        .arg("--report-dir")
        .arg(setup.dir.join("reports"))
        .arg("--state-dir")
        .arg(state_dir)
        .env("VAO_USERNAME", USERNAME)
        .env("VAO_PASSWORD", PASSWORD)
        .env("DRBOOK_LOCK_DIR", setup.dir.join("locks"))
        .env_remove("VAO_TOKEN")
        .env_remove("RUST_LOG");
    if let Some(ca) = setup.ca_cert {
        command.arg("--ca-cert").arg(ca);
    }
    command
}

/// Every request of the scenario: (method, path, body).
fn requests(scenario: Scenario) -> Vec<(&'static str, String, Option<&'static str>)> {
    let mut list = Vec::with_capacity(scenario.requests() as usize);
    for id in generate::plan_ids(scenario.steps) {
        list.push(("GET", format!("/api/v3/Plans/{id}"), None));
        list.push((
            "POST",
            format!("/api/v3/Plans/{id}/Failover"),
            Some(FAILOVER_BODY),
        ));
        if scenario.wait {
            list.push(("GET", format!("/api/v3/RuntimeDetails/Plans/{id}"), None));
        }
    }
    list
}

const TOKEN_FORM: &str = "grant_type=password&username=BENCH%5Cdrbook&password=bench-password";

/// One curl process per request, the way a shell loop runs them.
fn curl_loop(setup: &Setup) -> Vec<Command> {
    let curl = setup.programs.curl.clone().expect("curl");
    let base = |command: &mut Command| {
        command.args(["-sS", "-f", "-o", "/dev/null"]);
        if let Some(ca) = setup.ca_cert {
            command.arg("--cacert").arg(ca);
        }
    };
    let mut commands = Vec::new();
    let mut login = Command::new(&curl);
    base(&mut login);
    login
        .args(["-d", TOKEN_FORM])
        .arg(format!("{}/token", setup.server));
    commands.push(login);
    for (method, path, body) in requests(setup.scenario) {
        let mut command = Command::new(&curl);
        base(&mut command);
        command
            .args(["-X", method])
            .args(["-H", &format!("Authorization: Bearer {TOKEN}")])
            .args(["-H", "Accept: application/json"]);
        if let Some(body) = body {
            command
                .args(["-H", "Content-Type: application/json"])
                .args(["-d", body]);
        }
        command.arg(format!("{}{path}", setup.server));
        commands.push(command);
    }
    commands
}

/// One curl process for every request (`--next` in a config file), reusing its connection.
fn curl_next(setup: &Setup) -> Command {
    let mut config = String::new();
    let block = |config: &mut String, url: &str| {
        let _ = writeln!(
            config,
            "url = \"{url}\"\noutput = \"/dev/null\"\nsilent\nshow-error\nfail"
        );
        if let Some(ca) = setup.ca_cert {
            let _ = writeln!(config, "cacert = \"{}\"", ca.display());
        }
    };
    block(&mut config, &format!("{}/token", setup.server));
    let _ = writeln!(config, "data = \"{TOKEN_FORM}\"");
    for (method, path, body) in requests(setup.scenario) {
        config.push_str("next\n");
        block(&mut config, &format!("{}{path}", setup.server));
        let _ = writeln!(
            config,
            "request = \"{method}\"\nheader = \"Authorization: Bearer {TOKEN}\"\nheader = \"Accept: application/json\""
        );
        if let Some(body) = body {
            let _ = writeln!(
                config,
                "header = \"Content-Type: application/json\"\ndata = \"{}\"",
                body.replace('"', "\\\"")
            );
        }
    }
    let path = setup.dir.join(format!(
        "curl-{}-{}.cfg",
        setup.scenario.steps, setup.scenario.wait
    ));
    std::fs::write(&path, config).expect("write the curl config");
    let mut command = Command::new(setup.programs.curl.as_ref().expect("curl"));
    command.arg("-K").arg(path);
    command
}

fn hurl(setup: &Setup) -> Command {
    let mut file = String::new();
    let _ = writeln!(
        file,
        "POST {{{{server}}}}/token\n[FormParams]\ngrant_type: password\nusername: BENCH\\\\drbook\npassword: {PASSWORD}\nHTTP 200\n[Captures]\ntoken: jsonpath \"$.access_token\"\n"
    );
    for (method, path, body) in requests(setup.scenario) {
        let _ = writeln!(
            file,
            "{method} {{{{server}}}}{path}\nAuthorization: Bearer {{{{token}}}}\nAccept: application/json"
        );
        if let Some(body) = body {
            let _ = writeln!(file, "Content-Type: application/json\n{body}");
        }
        let _ = writeln!(file, "HTTP 200\n");
    }
    let path = setup.dir.join(format!(
        "run-{}-{}.hurl",
        setup.scenario.steps, setup.scenario.wait
    ));
    std::fs::write(&path, file).expect("write the hurl file");
    let mut command = Command::new(setup.programs.hurl.as_ref().expect("hurl"));
    command
        .args(["--variable", &format!("server={}", setup.server)])
        .arg(path);
    if let Some(ca) = setup.ca_cert {
        command.arg("--cacert").arg(ca);
    }
    command
}

/// A playbook with the `uri` module looping over the plan IDs: the plan reads, then the
/// failovers, then (when waiting) the runtime-details reads. The same requests as drbook,
/// grouped by kind, as a playbook would naturally be written.
fn ansible(setup: &Setup) -> Command {
    let ansible = setup.programs.ansible.as_ref().expect("ansible-playbook");
    let ca = setup
        .ca_cert
        .map(|p| format!("\n        ca_path: {}", p.display()))
        .unwrap_or_default();
    let mut playbook = format!(
        r#"- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    server: "{server}"
    plans:
"#,
        server = setup.server
    );
    for id in generate::plan_ids(setup.scenario.steps) {
        let _ = writeln!(playbook, "      - {id}");
    }
    let _ = write!(
        playbook,
        r#"  tasks:
    - name: log in
      uri:
        url: "{{{{ server }}}}/token"
        method: POST
        body_format: form-urlencoded
        body:
          grant_type: password
          username: 'BENCH\drbook'
          password: {PASSWORD}{ca}
      register: login
    - name: read each plan
      uri:
        url: "{{{{ server }}}}/api/v3/Plans/{{{{ item }}}}"
        headers:
          Authorization: "Bearer {{{{ login.json.access_token }}}}"{ca}
      loop: "{{{{ plans }}}}"
    - name: fail over each plan
      uri:
        url: "{{{{ server }}}}/api/v3/Plans/{{{{ item }}}}/Failover"
        method: POST
        body_format: json
        body: {FAILOVER_BODY}
        headers:
          Authorization: "Bearer {{{{ login.json.access_token }}}}"{ca}
      loop: "{{{{ plans }}}}"
"#
    );
    if setup.scenario.wait {
        let _ = write!(
            playbook,
            r#"    - name: read each plan's runtime details
      uri:
        url: "{{{{ server }}}}/api/v3/RuntimeDetails/Plans/{{{{ item }}}}"
        headers:
          Authorization: "Bearer {{{{ login.json.access_token }}}}"{ca}
      loop: "{{{{ plans }}}}"
"#
        );
    }
    let path = setup.dir.join(format!(
        "playbook-{}-{}.yml",
        setup.scenario.steps, setup.scenario.wait
    ));
    std::fs::write(&path, playbook).expect("write the playbook");
    let python = ansible.with_file_name("python");
    let mut command = Command::new(ansible);
    command
        .args(["-i", "localhost,"])
        .arg(path)
        .env("ANSIBLE_LOCALHOST_WARNING", "False")
        .env("ANSIBLE_INVENTORY_UNPARSED_WARNING", "False")
        .env("ANSIBLE_RETRY_FILES_ENABLED", "False")
        .env("ANSIBLE_NOCOLOR", "1");
    if python.is_file() {
        command.args([
            "-e",
            &format!("ansible_python_interpreter={}", python.display()),
        ]);
    }
    command
}
