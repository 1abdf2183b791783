package cli

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// NormalizeArgs rewrites the single-dash long flags of Go's flag package
// (-op, -op=x) as POSIX ones (--op, --op=x), so that every flag written
// for tweedie before it used cobra still works: a word -NAME or
// -NAME=VALUE whose NAME, longer than one letter, is a long flag of the
// command the arguments select becomes --NAME. A shorthand cluster whose
// letters name no long flag (-ov) stays as it is; so does the value
// after a flag that takes one, and everything after "--".
func NormalizeArgs(root *cobra.Command, args []string) []string {
	cmd, i := root, 0
	for ; i < len(args); i++ { // the command: the leading words that name subcommands
		sub := subcommand(cmd, args[i])
		if sub == nil {
			break
		}
		cmd = sub
	}
	out := append([]string(nil), args...)
	for ; i < len(out); i++ {
		a := out[i]
		if a == "--" {
			break
		}
		if len(a) < 2 || a[0] != '-' {
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		var f *pflag.Flag
		switch {
		case strings.HasPrefix(a, "--"):
			f = lookupFlag(cmd, name)
		case len(name) > 1 && lookupFlag(cmd, name) != nil:
			f = lookupFlag(cmd, name)
			out[i] = "-" + a
		case len(name) == 1:
			f = lookupShorthand(cmd, name)
		}
		if f != nil && !hasValue && f.NoOptDefVal == "" {
			i++ // the flag's value
		}
	}
	return out
}

// subcommand is cmd's subcommand called name (or an alias), nil when none.
func subcommand(cmd *cobra.Command, name string) *cobra.Command {
	for _, c := range cmd.Commands() {
		if c.Name() == name || c.HasAlias(name) {
			return c
		}
	}
	return nil
}

func lookupFlag(cmd *cobra.Command, name string) *pflag.Flag {
	for _, fs := range []*pflag.FlagSet{cmd.Flags(), cmd.InheritedFlags()} {
		if f := fs.Lookup(name); f != nil {
			return f
		}
	}
	return nil
}

func lookupShorthand(cmd *cobra.Command, s string) *pflag.Flag {
	for _, fs := range []*pflag.FlagSet{cmd.Flags(), cmd.InheritedFlags()} {
		if f := fs.ShorthandLookup(s); f != nil {
			return f
		}
	}
	return nil
}
