// Package cli is the machinery under tweedie's commands, on cobra through
// fang: it runs a command tree (Program.Execute) with
//
//   - help pages drawn like fang's but with the flags in groups and
//     sections of the command's own (Help, SetGroup, Section), from text
//     files (Texts);
//   - POSIX long flags, and Go's single-dash long flags read as them
//     (NormalizeArgs);
//   - suggestions for a mistyped command or flag (DidYouMean);
//   - defaults of every flag from TWEEDIE_ environment variables and a TOML
//     config file, beneath the command line: flag > environment > file >
//     built-in (Defaults, File), with where each value came from (Origin);
//   - one line per error off a terminal, fang's error box on one, and the
//     exit statuses 0, 1, 2, 130 and 128 + N (ExitCode).
//
// Package main defines the commands and their flags; docs/cli.md is the
// user's manual.
package cli
