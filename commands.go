package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"tweedie/core/method"
	"tweedie/internal/cli"
)

// commands are tweedie's subcommands. To add one: write newXxxCmd in
// cmd_xxx.go (its flags from the add*Flags functions of flags.go, its
// text in help/xxx.txt) and list it here (docs/cli.md).
var commands = []func() *cobra.Command{
	newRunCmd,
	newLabCmd,
	newPosteriorCmd,
	newTourCmd,
	newServeCmd,
	newRenderCmd,
	newPriorCmd,
	newWorkerCmd,
	newConfigCmd,
}

// program is how the command tree runs: its help pages, the defaults of
// its flags from the environment and the config file.
func program(root *cobra.Command, stdout, stderr io.Writer, environ []string) cli.Program {
	return cli.Program{
		Root: root,
		Help: cli.Help{
			Groups:       flagGroups,
			GeneralGroup: groupGeneral,
			GroupTitle:   groupTitle,
			Sections:     helpSections,
			Prepare:      showParamsOfMethods,
		},
		Defaults: func(cmd *cobra.Command) (cli.Defaults, error) { return configDefaults(cmd, cmd, environ) },
		Stdout:   stdout, Stderr: stderr, Environ: environ,
	}
}

// showParamsOfMethods shows, in a command's help, the parameters of the
// method on its line (--method, or its default) or of the methods of
// --methods, and hides the others'.
func showParamsOfMethods(cmd *cobra.Command) {
	if methodFlag(cmd) != nil {
		showParamsOf(cmd, methodsOf(cmd))
	}
}

// showParamsOnLine does it for the command a completion request names,
// so that flag completion offers the parameters of the method already on
// the line.
func showParamsOnLine(root *cobra.Command, args []string) {
	cmd, _, err := root.Find(args)
	if err != nil || cmd == nil {
		return
	}
	if methodFlag(cmd) == nil {
		return
	}
	ms := methodsOnLine(args)
	if len(ms) == 0 {
		ms = methodsOf(cmd)
	}
	showParamsOf(cmd, ms)
}

// methodsOf are the methods a command's --method or --methods flag holds
// (the default method when the command line gave none); none when the
// command takes no method (its flag is hidden: posterior, tour).
func methodsOf(cmd *cobra.Command) []*method.Method {
	if f := methodFlag(cmd); f != nil {
		return methodsOnLine([]string{"--" + f.Name, f.Value.String()})
	}
	return nil
}

// methodFlag is the command's --method or --methods, nil when it takes
// no method.
func methodFlag(cmd *cobra.Command) *pflag.Flag {
	for _, name := range []string{"method", "methods"} {
		if f := cmd.Flags().Lookup(name); f != nil && !f.Hidden {
			return f
		}
	}
	return nil
}

// groupTitle names the method-parameters group by the methods it shows.
func groupTitle(cmd *cobra.Command, group string) string {
	if group != groupParams {
		return group
	}
	if ms := methodsOf(cmd); len(ms) > 0 {
		return group + " · " + strings.Join(methodLabels(ms), ", ")
	}
	return group
}

// helpSections are the sections after the flags: the method table where
// a command takes a method, and the exit statuses.
func helpSections(cmd *cobra.Command) []cli.Section {
	var s []cli.Section
	if methodFlag(cmd) != nil {
		s = append(s, cli.Section{Title: "methods", Body: methodTable})
	}
	if text := helpTexts.ExitStatus(cmd); cmd.Runnable() && text != "" {
		s = append(s, cli.Section{Title: "exit status", Body: func(width int) string { return cli.Indent(text, width) }})
	}
	return s
}

// methodTable is the registered methods, one a line: name, label and the
// head of the summary; then how to see a method's parameters.
func methodTable(width int) string {
	ms := method.All()
	nameW, labelW := 0, 0
	for _, m := range ms {
		nameW, labelW = max(nameW, len(m.Name)), max(labelW, len([]rune(m.Label)))
	}
	var b strings.Builder
	for _, m := range ms {
		label := m.Label + strings.Repeat(" ", labelW-len([]rune(m.Label)))
		line := fmt.Sprintf("    %-*s  %s  %s", nameW, m.Name, label, shortSummary(m))
		b.WriteString(cli.Truncate(line, width) + "\n")
	}
	b.WriteString(cli.Indent("A method's parameters: add --method NAME (lab: --methods NAME,…) to -h.", width))
	return b.String()
}

// shortSummary is the head of a method's summary: up to its first colon
// or parenthesis.
func shortSummary(m *method.Method) string {
	s, _, _ := strings.Cut(m.Summary, ":")
	s, _, _ = strings.Cut(s, " (")
	return s
}

// addConfigFlag adds --config, inherited by every command.
func addConfigFlag(root *cobra.Command) {
	root.PersistentFlags().String("config", "", "read defaults of flags from `FILE` (default $XDG_CONFIG_HOME/tweedie/config.toml; serve: serve.toml)")
	cli.SetGroup(root.PersistentFlags(), groupGeneral, "config")
	_ = root.MarkPersistentFlagFilename("config", "toml")
}
