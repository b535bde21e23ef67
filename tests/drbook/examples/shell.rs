//! Finds the `drbook ...` command lines in shell text (scripts, cron commands, systemd
//! `ExecStart=`, CI `run:` blocks), so the lint can hold each one against the real binary.
//!
//! This reads the subset of shell the examples use: quotes, `\` continuations, comments,
//! `$(...)`, `${...}` (also GitHub's `${{ ... }}`), redirections, `;`, `&&`, `||`, `|` and
//! the keywords that leave a command to follow. A word is a command only where a command can
//! start, so `useradd drbook` or `--user drbook` are not mistaken for invocations.

/// One `drbook` command line in an example.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// Where it is: `examples/cron/nightly-drill.sh:81`.
    pub place: String,
    /// The words after the program, quotes removed, expansions left as written
    /// (`$DRBOOK_DATA/reports`).
    pub words: Vec<String>,
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String, usize),
    /// Anything that ends a simple command: a newline, `;`, `&`, `|`, `(`, `)`.
    End,
}

/// Whether a command word runs drbook: the bare name, a path to it, or `$DRBOOK`.
pub fn is_drbook(word: &str) -> bool {
    word == "drbook" || word.ends_with("/drbook") || word == "$DRBOOK" || word == "${DRBOOK}"
}

/// Whether a word of `podman run`/`docker run` is drbook's image
/// (`registry.example.internal/drbook:0.1.0`, `localhost/drbook`): the words after it are
/// drbook's arguments. A volume or a path (`./reports:/drbook/reports`) is not, nor a bare
/// `drbook` (the command of another image).
pub fn is_drbook_image(word: &str) -> bool {
    if word.starts_with(['-', '.', '/', '$']) || word.contains(":/") {
        return false;
    }
    let name = match word.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => name,
        _ => word,
    };
    name.ends_with("/drbook")
}

/// Every drbook invocation in `text`; `place` names the file and `first_line` is the line of
/// the text's first line in it.
pub fn invocations(text: &str, place: &str, first_line: usize) -> Vec<Invocation> {
    let mut nested = Vec::new();
    let tokens = tokenize(text, first_line, &mut nested);
    let mut found = commands(&tokens, place);
    for (inner, line) in nested {
        found.extend(invocations(&inner, place, line));
    }
    found
}

/// Words that leave the next word in command position.
const PREFIXES: &[&str] = &[
    "if", "then", "else", "elif", "do", "while", "until", "!", "{", "time", "exec", "command",
    "nohup",
];

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit())
    })
}

fn commands(tokens: &[Token], place: &str) -> Vec<Invocation> {
    let mut found = Vec::new();
    let mut i = 0;
    let mut at_start = true;
    while i < tokens.len() {
        let Token::Word(word, line) = &tokens[i] else {
            at_start = true;
            i += 1;
            continue;
        };
        i += 1;
        if !at_start {
            continue;
        }
        if PREFIXES.contains(&word.as_str()) || is_assignment(word) {
            continue;
        }
        if matches!(word.as_str(), "sudo" | "runuser" | "env") {
            // Their options (and `-u USER`, `NAME=VALUE`) come before the command they run.
            while let Some(Token::Word(next, _)) = tokens.get(i) {
                if next == "--" {
                    i += 1;
                    break;
                }
                if matches!(next.as_str(), "-u" | "-g" | "--user" | "--group") {
                    i += 2;
                } else if next.starts_with('-') || is_assignment(next) {
                    i += 1;
                } else {
                    break;
                }
            }
            continue;
        }
        at_start = false;
        let in_image = matches!(word.as_str(), "podman" | "docker")
            && matches!(tokens.get(i), Some(Token::Word(next, _)) if next == "run");
        if in_image {
            // Its options, then the image, then the image's arguments: drbook's.
            while let Some(Token::Word(next, _)) = tokens.get(i) {
                i += 1;
                if is_drbook_image(next) {
                    let mut words = Vec::new();
                    while let Some(Token::Word(next, _)) = tokens.get(i) {
                        words.push(next.clone());
                        i += 1;
                    }
                    found.push(Invocation {
                        place: format!("{place}:{line}"),
                        words,
                    });
                    break;
                }
            }
        } else if is_drbook(word) {
            let mut words = Vec::new();
            while let Some(Token::Word(next, _)) = tokens.get(i) {
                words.push(next.clone());
                i += 1;
            }
            found.push(Invocation {
                place: format!("{place}:{line}"),
                words,
            });
        }
    }
    found
}

/// Splits shell text into words and command ends. `nested` collects the text of each
/// `$(...)` and backquoted command (with its line), which holds commands of its own.
fn tokenize(text: &str, first_line: usize, nested: &mut Vec<(String, usize)>) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut word: Option<(String, usize)> = None;
    let mut line = first_line;
    let mut skip_target = false;
    let mut i = 0;

    // Ends the current word; a redirection's target is dropped.
    let finish = |word: &mut Option<(String, usize)>, tokens: &mut Vec<Token>, skip: &mut bool| {
        if let Some((w, l)) = word.take() {
            if *skip {
                *skip = false;
            } else {
                tokens.push(Token::Word(w, l));
            }
        }
    };

    while i < chars.len() {
        let c = chars[i];
        let start_word = |word: &mut Option<(String, usize)>| {
            word.get_or_insert_with(|| (String::new(), line));
        };
        match c {
            '\\' if chars.get(i + 1) == Some(&'\n') => {
                line += 1;
                i += 2;
            }
            '\\' => {
                start_word(&mut word);
                if let (Some((w, _)), Some(next)) = (word.as_mut(), chars.get(i + 1)) {
                    w.push(*next);
                }
                i += 2;
            }
            ' ' | '\t' | '\r' => {
                finish(&mut word, &mut tokens, &mut skip_target);
                i += 1;
            }
            '\n' => {
                finish(&mut word, &mut tokens, &mut skip_target);
                tokens.push(Token::End);
                line += 1;
                i += 1;
            }
            '#' if word.is_none() => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '>' | '<' => {
                // `2>&1`, `>>file`, `< in`: the descriptor and the target are not arguments.
                if word
                    .as_ref()
                    .is_some_and(|(w, _)| w.chars().all(|c| c.is_ascii_digit()))
                {
                    word = None;
                }
                finish(&mut word, &mut tokens, &mut skip_target);
                i += 1;
                while i < chars.len() && matches!(chars[i], '>' | '<' | '|') {
                    i += 1;
                }
                if chars.get(i) == Some(&'&') {
                    i += 1;
                    while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '-') {
                        i += 1;
                    }
                } else {
                    skip_target = true;
                }
            }
            '&' if chars.get(i + 1) == Some(&'>') => {
                finish(&mut word, &mut tokens, &mut skip_target);
                i += 2;
                if chars.get(i) == Some(&'>') {
                    i += 1;
                }
                skip_target = true;
            }
            ';' | '&' | '|' | '(' | ')' => {
                finish(&mut word, &mut tokens, &mut skip_target);
                tokens.push(Token::End);
                i += 1;
            }
            '\'' => {
                start_word(&mut word);
                i += 1;
                while i < chars.len() && chars[i] != '\'' {
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    word.as_mut().unwrap().0.push(chars[i]);
                    i += 1;
                }
                i += 1;
            }
            '"' => {
                start_word(&mut word);
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    let mut ch = chars[i];
                    if ch == '\\' && matches!(chars.get(i + 1), Some('"' | '\\' | '$' | '`')) {
                        i += 1;
                        ch = chars[i];
                    }
                    if ch == '\n' {
                        line += 1;
                    }
                    word.as_mut().unwrap().0.push(ch);
                    i += 1;
                }
                i += 1;
            }
            '$' if matches!(chars.get(i + 1), Some('(' | '{')) => {
                start_word(&mut word);
                let (open, close) = if chars[i + 1] == '(' {
                    ('(', ')')
                } else {
                    ('{', '}')
                };
                let begin = i;
                let mut depth = 0;
                i += 1;
                while i < chars.len() {
                    if chars[i] == open {
                        depth += 1;
                    } else if chars[i] == close {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    i += 1;
                }
                let end = i.min(chars.len());
                let inner: String = chars[begin + 2..end.max(begin + 2)].iter().collect();
                if open == '(' {
                    nested.push((inner, line));
                }
                let whole: String = chars[begin..(end + 1).min(chars.len())].iter().collect();
                line += whole.matches('\n').count();
                word.as_mut().unwrap().0.push_str(&whole);
                i = end + 1;
            }
            '`' => {
                start_word(&mut word);
                let begin = i + 1;
                i = begin;
                while i < chars.len() && chars[i] != '`' {
                    i += 1;
                }
                let inner: String = chars[begin..i.min(chars.len())].iter().collect();
                nested.push((inner.clone(), line));
                line += inner.matches('\n').count();
                word.as_mut().unwrap().0.push_str(&format!("`{inner}`"));
                i += 1;
            }
            _ => {
                start_word(&mut word);
                word.as_mut().unwrap().0.push(c);
                i += 1;
            }
        }
    }
    finish(&mut word, &mut tokens, &mut skip_target);
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<Vec<String>> {
        invocations(text, "t.sh", 1)
            .into_iter()
            .map(|i| i.words)
            .collect()
    }

    #[test]
    fn finds_commands_only_where_a_command_can_start() {
        assert!(words("useradd --system drbook\nchown drbook: /srv/drbook\n").is_empty());
        assert_eq!(
            words("sudo -u drbook drbook check a.yaml"),
            [["check", "a.yaml"]]
        );
        assert_eq!(
            words("if drbook validate a.yaml; then echo ok; fi"),
            [["validate", "a.yaml"]]
        );
        assert_eq!(
            words("X=1 /usr/local/bin/drbook run a.yaml --yes && drbook validate b.yaml"),
            [vec!["run", "a.yaml", "--yes"], vec!["validate", "b.yaml"]]
        );
        assert_eq!(
            words("out=$(drbook validate a.yaml)"),
            [["validate", "a.yaml"]]
        );
    }

    #[test]
    fn the_arguments_of_drbooks_image_are_drbooks() {
        let text = "podman build -t registry.example.internal/drbook:0.1.0 .\npodman run --rm -v ./runbooks:/drbook/runbooks:ro -v ./reports:/drbook -e VAO_PASSWORD \\\n  registry.example.internal/drbook:0.1.0 validate runbooks/a.yaml\ndocker run -it localhost/drbook --version\ndocker run --rm other/image drbook\n";
        let found = invocations(text, "t.md", 1);
        let words: Vec<&Vec<String>> = found.iter().map(|i| &i.words).collect();
        assert_eq!(
            words,
            [
                &vec!["validate".to_owned(), "runbooks/a.yaml".to_owned()],
                &vec!["--version".to_owned()]
            ]
        );
        assert_eq!(found[0].place, "t.md:2");
        assert!(is_drbook_image("registry:5000/drbook"));
        assert!(!is_drbook_image("registry.example.internal/drbook-tools:1"));
    }

    #[test]
    fn quotes_continuations_comments_and_redirections() {
        let text = "# drbook run nothing.yaml\n\"$DRBOOK\" drill 'a b.yaml' \\\n  --report-dir \"$DATA/reports\" \\\n  >>\"$log\" 2>&1 || status=$? # drbook x\nnext";
        let found = invocations(text, "t.sh", 10);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].words,
            ["drill", "a b.yaml", "--report-dir", "$DATA/reports"]
        );
        assert_eq!(found[0].place, "t.sh:11");
        assert_eq!(
            words("drbook check a.yaml --server ${{ vars.VAO }} > out.txt"),
            [["check", "a.yaml", "--server", "${{ vars.VAO }}"]]
        );
    }
}
