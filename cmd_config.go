package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

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
	if v := lookupEnv(environ, cli.EnvName("config")); v != "" {
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

// lookupEnv is the value of NAME in environ, "" when unset.
func lookupEnv(environ []string, name string) string {
	v := ""
	for _, kv := range environ {
		if k, val, ok := strings.Cut(kv, "="); ok && k == name {
			v = val
		}
	}
	return v
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
			return printSettings(cmd.OutOrStdout(), target, d)
		},
	}
}

// printSettings writes the effective value of each of cmd's flags and
// where it came from.
func printSettings(w io.Writer, cmd *cobra.Command, d cli.Defaults) error {
	file := "none"
	if d.File != nil {
		file = d.File.Path
	}
	fmt.Fprintf(w, "tweedie %s: the config file %s; flag > environment > file > built-in\n", strings.TrimSpace(strings.TrimPrefix(cmd.CommandPath(), "tweedie")), file)
	showParamsOfMethods(cmd)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		origin := cli.Origin(f)
		if f.Name == "help" || f.Name == "version" || f.Name == "config" || f.Hidden && origin == "default" {
			return
		}
		fmt.Fprintf(tw, "  --%s\t%s\t%s\n", f.Name, f.Value.String(), origin)
	})
	return tw.Flush()
}
