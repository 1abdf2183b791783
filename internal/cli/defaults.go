package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// EnvPrefix begins the environment variable of every flag: TWEEDIE_NAME,
// the flag's name in capitals with "-" as "_" (--noise-seed:
// TWEEDIE_NOISE_SEED).
const EnvPrefix = "TWEEDIE_"

// EnvName is the environment variable of a flag.
func EnvName(flag string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// originKey is the annotation of a flag that records where its value came
// from (Origin).
const originKey = "cli_origin"

// Origin is where a flag's value came from: "flag" (the command line),
// "env NAME", "PATH:LINE" (a config file) or "default" (the built-in).
func Origin(f *pflag.Flag) string {
	if f.Changed {
		return "flag"
	}
	if o := f.Annotations[originKey]; len(o) == 1 {
		return o[0]
	}
	return "default"
}

// Given reports whether the flag was set: on the command line, in the
// environment or in the config file.
func Given(cmd *cobra.Command, name string) bool {
	f := cmd.Flags().Lookup(name)
	return f != nil && Origin(f) != "default"
}

// Defaults are the layers of flag values beneath the command line: the
// environment, then a config file.
type Defaults struct {
	// File is the config file, nil for none.
	File *File
	// Environ is the environment, as os.Environ gives it.
	Environ []string
}

// Apply sets each flag of cmd that the command line did not set from
// the environment (EnvName), else from the file (a key in the command's
// table over one at the top), so that a flag given on the command line
// beats the environment, which beats the file, which beats the built-in
// default. It records where each value came from (Origin). A flag of a
// set of Exclusive flags whose partner was given on the command line is
// left alone. Errors name the
// variable or the file's line: a value the flag refuses, a key that is no
// flag of any command of root.
func (d Defaults) Apply(cmd *cobra.Command) error {
	if err := d.checkKeys(cmd.Root()); err != nil {
		return err
	}
	path := commandPath(cmd)
	var err error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || partnerChanged(cmd, f) || f.Name == "help" || f.Name == "version" {
			return
		}
		value, origin, ok := d.lookup(path, f.Name)
		if !ok {
			return
		}
		if e := f.Value.Set(value); e != nil {
			err = Usage(fmt.Errorf("%s: %s = %q: %w", origin, f.Name, value, e))
			return
		}
		if f.Annotations == nil {
			f.Annotations = map[string][]string{}
		}
		f.Annotations[originKey] = []string{origin}
	})
	return err
}

// lookup finds a flag's value in the environment, then in the file.
func (d Defaults) lookup(command, flag string) (value, origin string, ok bool) {
	name := EnvName(flag)
	for _, kv := range slices.Backward(d.Environ) {
		if k, v, found := strings.Cut(kv, "="); found && k == name {
			return v, "env " + name, true
		}
	}
	if d.File == nil {
		return "", "", false
	}
	var top *Entry
	for i, e := range d.File.Entries {
		switch {
		case e.Flag != flag:
		case e.Command == command:
			return e.Value, d.File.Where(e), true
		case e.Command == "":
			top = &d.File.Entries[i]
		}
	}
	if top != nil {
		return top.Value, d.File.Where(*top), true
	}
	return "", "", false
}

// checkKeys refuses a key of the file that names no flag of the command
// (of any command, at the top), with the nearest names as suggestions.
func (d Defaults) checkKeys(root *cobra.Command) error {
	if d.File == nil {
		return nil
	}
	for _, e := range d.File.Entries {
		var names []string
		found := false
		if e.Command == "" {
			walk(root, func(c *cobra.Command) {
				c.Flags().VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
			})
		} else if c := findCommand(root, e.Command); c != nil {
			c.Flags().VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
		} else {
			return Usage(fmt.Errorf("%s: [%s]: no such command", d.File.Where(e), strings.ReplaceAll(e.Command, " ", ".")))
		}
		found = slices.Contains(names, e.Flag) && e.Flag != "help" && e.Flag != "version" && e.Flag != "config"
		if !found {
			return Usage(fmt.Errorf("%s: %s: no such setting%s", d.File.Where(e), e.Flag, DidYouMean(e.Flag, names, "")))
		}
	}
	return nil
}

// exclusiveKey is the annotation of a flag that names the flags it
// excludes (Exclusive).
const exclusiveKey = "cli_exclusive"

// Exclusive says the named flags of fs exclude each other: the command
// refuses two given on its command line itself, and Apply leaves the
// others alone when one is given on the command line.
func Exclusive(fs *pflag.FlagSet, names ...string) {
	for _, n := range names {
		if f := fs.Lookup(n); f != nil {
			if f.Annotations == nil {
				f.Annotations = map[string][]string{}
			}
			f.Annotations[exclusiveKey] = names
		}
	}
}

// partnerChanged reports whether a flag that excludes f was given on the
// command line.
func partnerChanged(cmd *cobra.Command, f *pflag.Flag) bool {
	for _, name := range f.Annotations[exclusiveKey] {
		if other := cmd.Flags().Lookup(name); other != nil && other != f && other.Changed {
			return true
		}
	}
	return false
}

// commandPath is the command's path below the root ("run", "prior
// export"), "" for the root.
func commandPath(cmd *cobra.Command) string {
	path := strings.Fields(cmd.CommandPath())
	return strings.Join(path[1:], " ")
}

// findCommand is the command at a path below root, nil when none.
func findCommand(root *cobra.Command, path string) *cobra.Command {
	c := root
	for _, name := range strings.Fields(path) {
		var next *cobra.Command
		for _, sub := range c.Commands() {
			if sub.Name() == name {
				next = sub
			}
		}
		if next == nil {
			return nil
		}
		c = next
	}
	return c
}

// walk calls f on c and every command below it.
func walk(c *cobra.Command, f func(*cobra.Command)) {
	f(c)
	for _, sub := range c.Commands() {
		walk(sub, f)
	}
}

// Reset gives a flag back its built-in default, forgetting a value from
// the environment or the config file.
func Reset(f *pflag.Flag) error {
	delete(f.Annotations, originKey)
	return f.Value.Set(f.DefValue)
}
