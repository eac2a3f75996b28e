//! The command line's per-format flags, made from the format registry: every option
//! a registered format's reader takes is a flag of the reading commands, every option
//! a writer takes a flag of the writing ones (`--to-KEY` where a reading flag already
//! has the name), each with its help and the formats that take it. `--format` and
//! `--to` take the registered names.

use anyhow::Result;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Arg, ArgAction, ArgMatches, Command};
use iterable::registry::{self, OptionSpec};
use iterable::{Format, IterableOptions, Mode};

/// Reading or writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The reader's options.
    Read,
    /// The writer's options.
    Write,
}

/// The flags given for one side: option key and value, in command-line order.
#[derive(Debug, Clone, Default)]
pub struct FormatFlags {
    /// `(key, value)`; a switch has the value `"true"`.
    pub values: Vec<(&'static str, String)>,
}

impl FormatFlags {
    /// Applies every flag to `options`: each format that takes the key gets the value.
    pub fn apply(&self, side: Side, mut options: IterableOptions) -> Result<IterableOptions> {
        for (key, value) in &self.values {
            registry::apply_option(options.options_mut(), side.mode(), key, value)?;
        }
        Ok(options)
    }
}

impl FormatFlags {
    /// An error when a flag given does not apply to `format` (the format of
    /// `location`): `--row-groups` on a CSV file says so instead of being ignored.
    pub fn check_applies(&self, side: Side, format: Format, location: &str) -> Result<()> {
        let options = options_of(side);
        let read_keys: Vec<&str> = options_of(Side::Read).iter().map(|(o, _)| o.key).collect();
        for (key, _) in &self.values {
            let Some((option, formats)) = options.iter().find(|(o, _)| o.key == *key) else {
                continue;
            };
            if formats.contains(&format) {
                continue;
            }
            let flag = match side {
                Side::Read => option.flag(),
                Side::Write => write_flag(option, &read_keys),
            };
            let names: Vec<&str> = formats.iter().map(|f| f.name()).collect();
            anyhow::bail!(
                "--{flag} does not apply to {} ({}): it is for {}",
                iterable::mask_password(location),
                format.name(),
                names.join(", ")
            );
        }
        Ok(())
    }
}

fn options_of(side: Side) -> Vec<(&'static OptionSpec, Vec<Format>)> {
    registry::options_of(side.mode())
}

impl Side {
    fn mode(self) -> Mode {
        match self {
            Side::Read => Mode::Read,
            Side::Write => Mode::Write,
        }
    }
}

fn arg_id(side: Side, key: &str) -> String {
    match side {
        Side::Read => format!("read:{key}"),
        Side::Write => format!("write:{key}"),
    }
}

/// The flag of a write option: `--KEY`, or `--to-KEY` when reading has a `--KEY`.
fn write_flag(option: &OptionSpec, read_keys: &[&str]) -> String {
    if read_keys.contains(&option.key) {
        format!("to-{}", option.flag())
    } else {
        option.flag()
    }
}

fn args(side: Side) -> Vec<Arg> {
    let read_keys: Vec<&str> = options_of(Side::Read).iter().map(|(o, _)| o.key).collect();
    options_of(side)
        .into_iter()
        .map(|(option, formats)| {
            let names: Vec<&str> = formats.iter().map(|f| f.name()).collect();
            let long = match side {
                Side::Read => option.flag(),
                Side::Write => write_flag(option, &read_keys),
            };
            let help = format!("{} [{}]", option.help, names.join(", "));
            let arg = Arg::new(arg_id(side, option.key))
                .long(long)
                .help(help)
                .help_heading(match side {
                    Side::Read => "Format options (reading)",
                    Side::Write => "Format options (writing)",
                });
            match option.value_name {
                Some(name) => arg.value_name(name).action(ArgAction::Set),
                None => arg.action(ArgAction::SetTrue),
            }
        })
        .collect()
}

/// The subcommands that read, and whether each writes rows too (and so takes the
/// writing flags).
const COMMANDS: [(&str, bool); 15] = [
    ("cat", true),
    ("head", true),
    ("tail", true),
    ("sample", true),
    ("select", true),
    ("filter", true),
    ("stats", true),
    ("validate", true),
    ("frequency", true),
    ("table", false),
    ("count", false),
    ("convert", true),
    ("schema", false),
    ("enrich", true),
    ("sql", true),
];

/// `command` with the registry's flags on its subcommands: reading flags on those
/// that read, writing flags on those that write.
pub fn augment(command: Command) -> Command {
    let read = args(Side::Read);
    let write = args(Side::Write);
    let mut command = command.after_help(formats_help());
    for (name, writes) in COMMANDS {
        command = command.mut_subcommand(name, |sub| {
            let sub = sub.args(read.clone());
            if writes { sub.args(write.clone()) } else { sub }
        });
    }
    command
}

/// The flags of `side` that `matches` (a subcommand's) holds.
pub fn collect(matches: &ArgMatches, side: Side) -> FormatFlags {
    let mut values = Vec::new();
    for (option, _) in options_of(side) {
        let id = arg_id(side, option.key);
        match option.value_name {
            Some(_) => {
                if let Ok(Some(value)) = matches.try_get_one::<String>(&id) {
                    values.push((option.key, value.clone()));
                }
            }
            None => {
                if matches.try_get_one::<bool>(&id).ok().flatten() == Some(&true) {
                    values.push((option.key, "true".to_owned()));
                }
            }
        }
    }
    FormatFlags { values }
}

/// The value parser of `--format` and `--to`: the registered names and aliases.
pub fn format_parser() -> impl TypedValueParser<Value = Format> {
    let values: Vec<PossibleValue> = registry::all()
        .into_iter()
        .map(|spec| {
            PossibleValue::new(spec.format.name())
                .aliases(spec.aliases.iter().copied())
                .help(spec.description)
        })
        .collect();
    PossibleValuesParser::new(values)
        .map(|name| registry::parse_format(&name).expect("a possible value is a registered format"))
}

/// The list of formats and codecs under `iterable --help`.
pub fn formats_help() -> String {
    let mut text = String::from("Formats (name: extensions; what it does):\n");
    for spec in registry::all() {
        let can = match (spec.capabilities.read, spec.capabilities.write) {
            (true, true) => "read, write",
            (true, false) => "read",
            (false, true) => "write",
            (false, false) => "-",
        };
        let off = if spec.is_available() {
            String::new()
        } else {
            format!(" (not compiled in: cargo feature `{}`)", spec.feature)
        };
        text.push_str(&format!(
            "  {}: .{}; {can}; {}{off}\n",
            spec.format,
            spec.extensions.join(", ."),
            spec.description
        ));
    }
    text.push_str("\nCodecs: ");
    text.push_str(&iterable::Codec::known_names());
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;
    use crate::args::Cli;

    #[test]
    fn the_flags_made_from_the_registry_fit_every_command() {
        // clap's own consistency checks (unique names, valid settings) on every
        // subcommand, with the registry's flags added.
        augment(Cli::command()).debug_assert();
    }

    #[test]
    fn every_registered_format_is_in_the_help_and_a_value_of_format() {
        let help = formats_help();
        let mut command = augment(Cli::command());
        let cat = command
            .find_subcommand_mut("cat")
            .unwrap()
            .render_long_help()
            .to_string();
        for spec in registry::all() {
            assert!(
                help.contains(&format!("  {}: .", spec.format)),
                "{}",
                spec.format
            );
            assert!(
                cat.contains(spec.format.name()),
                "cat --help lacks {}",
                spec.format
            );
        }
        assert!(cat.contains("--delimiter"), "{cat}");
        assert!(cat.contains("--to-delimiter"), "{cat}");
        assert!(cat.contains("--compression"), "{cat}");
    }

    #[test]
    fn flags_land_in_every_format_that_takes_them() {
        let matches = augment(Cli::command())
            .try_get_matches_from([
                "iterable",
                "cat",
                "x",
                "--no-header",
                "--delimiter",
                ";",
                "--to-delimiter",
                "tab",
            ])
            .unwrap();
        let (_, sub) = matches.subcommand().unwrap();
        let read = collect(sub, Side::Read);
        let o = read.apply(Side::Read, IterableOptions::read()).unwrap();
        assert!(!o.options().csv.has_header);
        assert!(!o.options().xlsx.has_header);
        assert_eq!(o.options().csv.delimiter, Some(b';'));
        let write = collect(sub, Side::Write);
        let o = write.apply(Side::Write, IterableOptions::write()).unwrap();
        assert_eq!(o.options().csv.delimiter, Some(b'\t'));
    }
}
