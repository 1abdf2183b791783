package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"tweedie/internal/cli"
)

// configFile is the config file of command target: --config FILE (of
// the command line, which ran cmd), else $TWEEDIE_CONFIG, else serve.toml
// for `tweedie serve` and config.toml for every other command in the
// user's configuration directory (cli.DefaultPath). Only the default may
// be missing.
func configFile(cmd, target *cobra.Command, environ []string) (path string, optional bool) {
	if f := cmd.Flags().Lookup("config"); f != nil && f.Changed {
		return f.Value.String(), false
	}
	if v := cli.LookupEnv(environ, cli.EnvName("config")); v != "" {
		return v, false
	}
	name := "config.toml"
	if target.CommandPath() == "tweedie serve" {
		name = "serve.toml"
	}
	return cli.DefaultPath(environ, name), true
}

// configDefaults are the layers beneath the command line of command
// target, which cmd runs or (tweedie config) names: the environment and
// its config file.
func configDefaults(cmd, target *cobra.Command, environ []string) (cli.Defaults, error) {
	d := cli.Defaults{Environ: environ}
	path, optional := configFile(cmd, target, environ)
	if path == "" {
		return d, nil
	}
	f, err := cli.ReadFile(path, optional)
	d.File = f
	return d, err
}

func newConfigCmd() *cobra.Command {
	return &cobra.Command{
		Use: "config [COMMAND...]",
		RunE: func(cmd *cobra.Command, args []string) error {
			target, rest, err := cmd.Root().Find(args)
			if err != nil || len(rest) > 0 {
				return cli.Usagef("%s: no such command", strings.Join(args, " "))
			}
			d, err := configDefaults(cmd, target, os.Environ())
			if err == nil {
				err = d.Apply(target)
			}
			if err != nil {
				return cli.Usage(err)
			}
			path, _ := configFile(cmd, target, os.Environ())
			return printSettings(cmd.OutOrStdout(), target, path, d.File != nil)
		},
	}
}

// printSettings writes the effective value of each of cmd's flags and
// where it came from; path is its config file, found or not.
func printSettings(w io.Writer, cmd *cobra.Command, path string, found bool) error {
	if !found {
		path += " (none there)"
	}
	fmt.Fprintf(w, "%s, with no flags on the line (flag > environment > file > built-in)\nconfig file: %s\n", cmd.CommandPath(), path)
	showParamsOfMethods(cmd)
	return cli.PrintSettings(w, cmd)
}
