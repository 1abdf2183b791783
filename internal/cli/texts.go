package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Texts are the help texts of a command tree, one file a command in a
// file system: NAME.txt, NAME the command's path below the root joined by
// "-" ("prior-export"; the root's own name for the root). A file holds the
// short line first, then the description, then "Examples:" and one
// example a line ("# …" a comment, "  …" the continuation of a line ending
// in "\"). NAME-exit-status.txt, else exit-status.txt, holds a command's
// exit statuses.
type Texts struct {
	FS  fs.FS
	Dir string
}

// Apply sets every command's Short, Long and Example from its file; a
// missing file is an error.
func (t Texts) Apply(root *cobra.Command) error {
	var err error
	walk(root, func(c *cobra.Command) {
		if err != nil || c.Name() == "completion" || strings.HasPrefix(c.CommandPath(), root.Name()+" completion ") {
			return // cobra's own
		}
		var b []byte
		if b, err = fs.ReadFile(t.FS, path.Join(t.Dir, textName(c)+".txt")); err == nil {
			short, rest, _ := strings.Cut(string(b), "\n")
			long, example, _ := strings.Cut(rest, "\nExamples:\n")
			c.Short, c.Long, c.Example = short, strings.TrimSpace(long), strings.TrimRight(example, "\n")
		}
	})
	return err
}

// ExitStatus is a command's exit statuses.
func (t Texts) ExitStatus(cmd *cobra.Command) string {
	b, err := fs.ReadFile(t.FS, path.Join(t.Dir, textName(cmd)+"-exit-status.txt"))
	if errors.Is(err, fs.ErrNotExist) {
		b, err = fs.ReadFile(t.FS, path.Join(t.Dir, "exit-status.txt"))
	}
	if err != nil {
		return ""
	}
	return string(b)
}

// textName names a command's text file.
func textName(cmd *cobra.Command) string {
	p := strings.Fields(cmd.CommandPath())
	if len(p) == 1 {
		return p[0]
	}
	return strings.Join(p[1:], "-")
}

// NoArgs refuses arguments; at the root, a word that is no command gets
// the nearest commands as suggestions.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if !cmd.HasParent() {
		var names []string
		for _, c := range cmd.Commands() {
			if c.IsAvailableCommand() {
				names = append(names, c.Name())
			}
		}
		return Usagef("unknown command %q%s", args[0], DidYouMean(args[0], names, ""))
	}
	return Usagef("unexpected argument %q", args[0])
}

// RangeArgs wants between lo and hi arguments, described by want ("one
// FILE.npz").
func RangeArgs(lo, hi int, want string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) < lo || len(args) > hi {
			return Usagef("want %s, got %d arguments", want, len(args))
		}
		return nil
	}
}

// PrintSettings writes the value of each visible flag of cmd (and of a
// hidden one that is not at its default) and where it came from
// (Origin).
func PrintSettings(w io.Writer, cmd *cobra.Command) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		origin := Origin(f)
		if f.Name == "help" || f.Name == "version" || f.Hidden && origin == "default" {
			return
		}
		fmt.Fprintf(tw, "  --%s\t%s\t%s\n", f.Name, f.Value.String(), origin)
	})
	return tw.Flush()
}

// Walk calls f on c and every command below it.
func Walk(c *cobra.Command, f func(*cobra.Command)) { walk(c, f) }
