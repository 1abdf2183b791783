package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strconv"
	"strings"

	"charm.land/fang/v2"
	"charm.land/lipgloss/v2"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Program runs a tree of cobra commands through fang (styled errors,
// --version, completion, the hidden man command) with tweedie's
// conventions: the help pages of Help, Go's single-dash long flags
// (NormalizeArgs), suggestions for mistyped flags, flag defaults from the
// environment and a config file (Defaults.Apply), one line per error off a
// terminal, and the exit statuses of ExitCode.
type Program struct {
	Root *cobra.Command
	Help Help
	// Defaults returns the environment and config-file layers for the
	// command about to run (it may read the --config flag).
	Defaults func(cmd *cobra.Command) (Defaults, error)
	// Stdin, Stdout, Stderr and Environ are the process's.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Environ        []string
}

// Execute runs the command args select and returns the exit status.
func (p Program) Execute(ctx context.Context, args []string) int {
	root := p.Root
	root.SetIn(p.Stdin)
	root.SetOut(p.Stdout)
	root.SetErr(p.Stderr)
	p.install()
	root.SetArgs(NormalizeArgs(root, args))
	err := fang.Execute(ctx, root, fang.WithVersion(root.Version), fang.WithErrorHandler(p.printError))
	return ExitCode(err)
}

// install sets the help pages, the flag-error messages and the defaults
// on every command.
func (p Program) install() {
	root := p.Root
	version, commit := BuildVersion()
	if len(commit) >= 7 {
		version += " (" + commit[:7] + ")"
	}
	root.Version = version
	root.InitDefaultVersionFlag() // now, so that every page lists it
	root.Flags().Lookup("version").Usage = "print the version (from the build's information)"
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.Short = "print the completion script for bash, zsh, fish or powershell"
		}
	}
	// fang sets the root's help function when Execute starts; parsing -h
	// (or --help) puts ours back before cobra calls it.
	help := &helpFlag{onSet: func() { root.SetHelpFunc(p.helpFunc) }}
	f := root.PersistentFlags().VarPF(help, "help", "h", "help for the command")
	f.NoOptDefVal = "true"
	SetGroup(root.PersistentFlags(), "general", "help")
	root.SetHelpCommand(&cobra.Command{
		Use:   "help [command]",
		Short: "help about any command",
		RunE: func(c *cobra.Command, args []string) error {
			target, _, err := root.Find(args)
			if err != nil || target == nil {
				return Usagef("help %s: no such command", strings.Join(args, " "))
			}
			p.helpFunc(target, nil)
			return nil
		},
	})
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &CommandError{c, flagError(c, err)} })
	prev := root.PersistentPreRunE
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if p.Defaults != nil {
			d, err := p.Defaults(cmd)
			if err == nil {
				err = d.Apply(cmd)
			}
			if err != nil {
				return &CommandError{cmd, Usage(err)}
			}
		}
		if prev != nil {
			return prev(cmd, args)
		}
		return nil
	}
	walk(root, func(c *cobra.Command) {
		c.SilenceErrors, c.SilenceUsage = true, true
		c.Flags().SortFlags, c.PersistentFlags().SortFlags = false, false // help lists flags as defined
		if c != root {
			c.SetHelpFunc(p.helpFunc)
		}
		if run := c.RunE; run != nil {
			c.RunE = func(c *cobra.Command, args []string) error { return named(c, run(c, args)) }
		}
		if valid := c.Args; valid != nil {
			c.Args = func(c *cobra.Command, args []string) error { return named(c, Usage(valid(c, args))) }
		}
	})
}

// helpFunc writes a command's help page to its output.
func (p Program) helpFunc(cmd *cobra.Command, _ []string) {
	h := p.Help
	if h.Width == 0 {
		h.Width = TermWidth(cmd.OutOrStdout())
	}
	if h.Styles == nil {
		st := DefaultHelpStyles(isDark(cmd.OutOrStdout()))
		h.Styles = &st
	}
	h.Write(ColorWriter(cmd.OutOrStdout(), p.Environ), cmd)
}

// helpFlag is the --help flag, a bool that runs onSet when given.
type helpFlag struct {
	on    bool
	onSet func()
}

func (h *helpFlag) String() string { return strconv.FormatBool(h.on) }
func (h *helpFlag) Type() string   { return "bool" }
func (h *helpFlag) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	h.on = v
	if v && h.onSet != nil {
		h.onSet()
	}
	return nil
}

// flagError makes pflag's errors the user's, in tweedie's words, with the
// nearest flag names for an unknown one.
func flagError(cmd *cobra.Command, err error) error {
	var notExist *pflag.NotExistError
	var invalid *pflag.InvalidValueError
	var missing *pflag.ValueRequiredError
	switch {
	case errors.As(err, &notExist) && notExist.GetSpecifiedShortnames() == "":
		var names []string
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden {
				names = append(names, f.Name)
			}
		})
		return Usagef("unknown flag --%s%s", notExist.GetSpecifiedName(), DidYouMean(notExist.GetSpecifiedName(), names, "--"))
	case errors.As(err, &invalid):
		f := invalid.GetFlag()
		return Usagef("--%s %q: want %s", f.Name, invalid.GetValue(), wantFor(f))
	case errors.As(err, &missing):
		return Usagef("--%s: needs a value", missing.GetFlag().Name)
	}
	return Usage(err)
}

// wantFor describes the values a typed flag takes.
func wantFor(f *pflag.Flag) string {
	switch f.Value.Type() {
	case "int", "int64":
		return "a whole number"
	case "uint", "uint64":
		return "a whole number ≥ 0"
	case "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "duration":
		return "a duration such as 90s or 15m"
	}
	return "a " + f.Value.Type()
}

// printError reports an error that ended a command: on one line off a
// terminal (PrintError), in fang's error box on one.
func (p Program) printError(w io.Writer, styles fang.Styles, err error) {
	var se *SignalError
	var ee *ExitError
	if errors.As(err, &se) && se.Msg == "" || errors.As(err, &ee) {
		return // reported already, or the explorer ended by a signal
	}
	path := commandOf(err, p.Root)
	if !IsTerminal(p.Stderr) {
		PrintError(w, path, err)
		return
	}
	fmt.Fprintln(w, styles.ErrorHeader.String())
	fmt.Fprintln(w, styles.ErrorText.UnsetTransform().Render(path+": "+err.Error()))
	fmt.Fprintln(w)
	var ue *UsageError
	if errors.As(err, &ue) {
		fmt.Fprintln(w, lipgloss.JoinHorizontal(lipgloss.Left,
			styles.ErrorText.UnsetWidth().Render("Try"),
			styles.Program.Flag.Render(" "+path+" --help "),
			styles.ErrorText.UnsetWidth().UnsetMargins().UnsetTransform().Render("for usage."),
		))
		fmt.Fprintln(w)
	}
}

// CommandError is an error of a command, which names it in the message.
type CommandError struct {
	Cmd *cobra.Command
	Err error
}

func (e *CommandError) Error() string { return e.Err.Error() }
func (e *CommandError) Unwrap() error { return e.Err }

// named attaches the command to an error that names none.
func named(cmd *cobra.Command, err error) error {
	var ce *CommandError
	if err == nil || errors.As(err, &ce) {
		return err
	}
	return &CommandError{cmd, err}
}

// commandOf is the path of the command an error came from, the root's
// when it does not say.
func commandOf(err error, root *cobra.Command) string {
	var ce *CommandError
	if errors.As(err, &ce) {
		return ce.Cmd.CommandPath()
	}
	return root.CommandPath()
}

// BuildVersion is the module's version and VCS revision from the build
// information ("(devel)" and "" when the build has none).
func BuildVersion() (version, commit string) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)", ""
	}
	version = info.Main.Version
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.modified":
			if s.Value == "true" && !strings.HasSuffix(version, "+dirty") {
				version += "+dirty"
			}
		}
	}
	if version == "" {
		version = "(devel)"
	}
	return version, commit
}
