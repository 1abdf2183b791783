package cli

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"charm.land/fang/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// groupKey is the annotation of a flag that names its help group.
const groupKey = "cli_group"

// SetGroup puts the named flags of fs (all of them when none is named)
// in a help group.
func SetGroup(fs *pflag.FlagSet, group string, names ...string) {
	set := func(f *pflag.Flag) {
		if f.Annotations == nil {
			f.Annotations = map[string][]string{}
		}
		f.Annotations[groupKey] = []string{group}
	}
	if len(names) == 0 {
		fs.VisitAll(set)
		return
	}
	for _, n := range names {
		if f := fs.Lookup(n); f != nil {
			set(f)
		}
	}
}

// GroupOf is the flag's help group, "" when it has none.
func GroupOf(f *pflag.Flag) string {
	if g := f.Annotations[groupKey]; len(g) == 1 {
		return g[0]
	}
	return ""
}

// Section is a part of a command's help after its flags (a table of the
// methods, say): a title and a body that fits width columns.
type Section struct {
	Title string
	Body  func(width int) string
}

// Help draws help pages like fang's (its colour scheme, titles in
// capitals), with what fang's do not have: flags in groups, in the order
// of Groups, and sections of the command's own.
type Help struct {
	// Groups are the flag groups in order, by name; flags in no group
	// come last, under "flags". GeneralGroup is the group of --help,
	// --version and the like. GroupTitle, when not nil, titles a group
	// (else its name).
	Groups       []string
	GeneralGroup string
	GroupTitle   func(cmd *cobra.Command, group string) string
	// Sections returns the extra sections of a command (nil for none).
	Sections func(cmd *cobra.Command) []Section
	// Prepare, when not nil, is called before a command's help is drawn
	// (to hide the flags that do not apply to the line, say).
	Prepare func(cmd *cobra.Command)
	// Width is the page's width in columns (0: the terminal's); Styles
	// its look
	// (nil: DefaultHelpStyles for the terminal's background).
	Width  int
	Styles *HelpStyles
}

// HelpStyles are the styles of a help page.
type HelpStyles struct {
	Title, Text, Flag, Argument, Default, Command, Comment lipgloss.Style
}

// DefaultHelpStyles are fang's colours for a dark or light background.
func DefaultHelpStyles(dark bool) HelpStyles {
	cs := fang.DefaultColorScheme(lipgloss.LightDark(dark))
	return HelpStyles{
		Title:    lipgloss.NewStyle().Bold(true).Foreground(cs.Title),
		Text:     lipgloss.NewStyle().Foreground(cs.Base),
		Flag:     lipgloss.NewStyle().Foreground(cs.Flag),
		Argument: lipgloss.NewStyle().Foreground(cs.DimmedArgument),
		Default:  lipgloss.NewStyle().Foreground(cs.FlagDefault),
		Command:  lipgloss.NewStyle().Foreground(cs.Command),
		Comment:  lipgloss.NewStyle().Foreground(cs.Comment),
	}
}

// Indentation of the help page.
const (
	indent    = 2  // titles
	bodyPad   = 4  // entries under a title
	maxKeyCol = 30 // the widest flag or command column before its text wraps below it
)

// Write draws cmd's help on w.
func (h Help) Write(w io.Writer, cmd *cobra.Command) {
	if h.Prepare != nil {
		h.Prepare(cmd)
	}
	if h.Styles == nil {
		st := DefaultHelpStyles(true)
		h.Styles = &st
	}
	var b strings.Builder
	width := max(h.Width, 40)
	if cmd.Short != "" {
		b.WriteString("\n" + h.Styles.Title.Render(wrap(cmd.CommandPath()+" — "+cmd.Short, width-indent, indent)) + "\n")
	}
	if text := cmd.Long; text != "" {
		b.WriteString("\n")
		for _, line := range strings.Split(wrap(strings.TrimSpace(text), width-indent, indent), "\n") {
			b.WriteString(h.Styles.Text.Render(line) + "\n")
		}
	}
	h.title(&b, "usage")
	for _, u := range usageLines(cmd) {
		b.WriteString(strings.Repeat(" ", bodyPad) + h.Styles.Command.Render(u) + "\n")
	}
	if ex := strings.Trim(cmd.Example, "\n"); ex != "" {
		h.title(&b, "examples")
		for _, line := range strings.Split(ex, "\n") {
			if line != "" {
				b.WriteString(h.example(line, width))
			}
			b.WriteString("\n")
		}
	}
	var cmds [][2]string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			cmds = append(cmds, [2]string{c.Name(), c.Short})
		}
	}
	if len(cmds) > 0 {
		h.title(&b, "commands")
		h.table(&b, cmds, h.Styles.Command, width)
	}
	for _, g := range h.flagGroups(cmd) {
		if h.GroupTitle != nil && g.title != "flags" {
			g.title = h.GroupTitle(cmd, g.title)
		}
		h.title(&b, g.title)
		h.table(&b, g.rows, h.Styles.Flag, width)
	}
	if h.Sections != nil {
		for _, s := range h.Sections(cmd) {
			h.title(&b, s.Title)
			b.WriteString(s.Body(width))
		}
	}
	b.WriteString("\n")
	_, _ = io.WriteString(w, b.String())
}

// title writes a section's title in capitals, but for what follows " · "
// (names that keep their case: "METHOD PARAMETERS · ΠG, RED-diff").
func (h Help) title(b *strings.Builder, t string) {
	name, rest, ok := strings.Cut(t, " · ")
	t = strings.ToUpper(name)
	if ok {
		t += " · " + rest
	}
	b.WriteString("\n" + strings.Repeat(" ", indent) + h.Styles.Title.Render(t) + "\n")
}

// usageLines are "tweedie run [--flags]", and "tweedie [command]" for a
// command with subcommands.
func usageLines(cmd *cobra.Command) []string {
	line := strings.ReplaceAll(cmd.UseLine(), "[flags]", "[--flags]")
	lines := []string{line}
	if cmd.HasAvailableSubCommands() {
		lines = append(lines, cmd.CommandPath()+" [command] [--flags]")
	}
	return lines
}

// example is a line of the examples: a command, a comment (# …) or the
// continuation of a command (indented), cut to the page's width.
func (h Help) example(line string, width int) string {
	pad := strings.Repeat(" ", bodyPad)
	line = strings.TrimRight(line, " ")
	style := h.Styles.Command
	if strings.HasPrefix(strings.TrimSpace(line), "#") {
		style = h.Styles.Comment
	}
	return pad + style.Render(ansi.Truncate(line, width-bodyPad, "…"))
}

// table draws rows of a key and its text, the texts aligned and wrapped.
func (h Help) table(b *strings.Builder, rows [][2]string, key lipgloss.Style, width int) {
	col := 0
	for _, r := range rows {
		if w := ansi.StringWidth(r[0]); w <= maxKeyCol {
			col = max(col, w)
		}
	}
	col += 2
	textWidth := max(width-bodyPad-col, 20)
	for _, r := range rows {
		b.WriteString(strings.Repeat(" ", bodyPad) + key.Render(r[0]))
		text := wrap(r[1], textWidth, bodyPad+col)
		if kw := ansi.StringWidth(r[0]); kw > maxKeyCol {
			b.WriteString("\n" + strings.Repeat(" ", bodyPad+col) + text + "\n")
			continue
		} else if text != "" {
			b.WriteString(strings.Repeat(" ", col-kw) + text)
		}
		b.WriteString("\n")
	}
}

// flagGroup is a group of flags as drawn: its title and rows.
type flagGroup struct {
	title string
	rows  [][2]string
}

// flagGroups are the command's visible flags by group, in the order of
// Groups, the ungrouped ones last.
func (h Help) flagGroups(cmd *cobra.Command) []flagGroup {
	byGroup := map[string][][2]string{}
	add := func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		g := GroupOf(f)
		if f.Name == "help" || f.Name == "version" {
			g = h.GeneralGroup
		}
		if !slices.Contains(h.Groups, g) {
			g = ""
		}
		byGroup[g] = append(byGroup[g], h.flagRow(f))
	}
	cmd.NonInheritedFlags().VisitAll(add)
	cmd.InheritedFlags().VisitAll(add)
	var out []flagGroup
	for _, g := range append(slices.Clone(h.Groups), "") {
		if rows := byGroup[g]; len(rows) > 0 {
			out = append(out, flagGroup{cmp.Or(g, "flags"), rows})
		}
	}
	return out
}

// flagRow is a flag's key ("-o, --out DIR") and text, its default after.
func (h Help) flagRow(f *pflag.Flag) [2]string {
	name, usage := pflag.UnquoteUsage(f)
	key := "    --" + f.Name
	if f.Shorthand != "" {
		key = "-" + f.Shorthand + ", --" + f.Name
	}
	if name != "" {
		key += " " + name
	}
	if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]" {
		usage += h.Styles.Default.Render(fmt.Sprintf(" (default %s)", f.DefValue))
	}
	return [2]string{key, usage}
}

// wrap wraps text to width columns, the lines after the first indented by
// pad spaces; the first is indented by pad too when pad is the page's
// left margin (indent).
func wrap(text string, width, pad int) string {
	wrapped := ansi.Wordwrap(text, max(width, 10), " ")
	lines := strings.Split(wrapped, "\n")
	for i := range lines {
		if (i > 0 || pad == indent) && lines[i] != "" {
			lines[i] = strings.Repeat(" ", pad) + lines[i]
		}
	}
	return strings.Join(lines, "\n")
}

// Indent indents text by the body's margin and wraps it to width.
func Indent(text string, width int) string {
	var b strings.Builder
	for _, para := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		b.WriteString(strings.Repeat(" ", bodyPad) + wrap(para, width-bodyPad, bodyPad) + "\n")
	}
	return b.String()
}

// Truncate cuts a line to width columns, with "…" where it was cut.
func Truncate(line string, width int) string { return ansi.Truncate(line, width, "…") }
