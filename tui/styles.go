package tui

import (
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"

	"tweedie/tui/chart"
	"tweedie/tui/halfblock"
	"tweedie/tui/labview"
)

// Styles holds every style of the explorer.
type Styles struct {
	Title    lipgloss.Style // the header line
	Label    lipgloss.Style // an image panel's caption
	Dim      lipgloss.Style // secondary text
	Value    lipgloss.Style // a number in the status line
	Formula  lipgloss.Style // the guidance rule
	Notice   lipgloss.Style // a passing message
	Error    lipgloss.Style // a failed or diverged run
	Progress lipgloss.Style // "computing 120/1000"
	Help     help.Styles
	Chart    chart.Styles
	Lab      labview.Styles
	// Series are the chart's line colours: ‖update‖, residual (and σ√m),
	// the second method's ‖update‖ and residual in compare mode, ‖g‖,
	// ‖g*‖, the second method's ‖g‖, and one spare.
	Series [8]halfblock.RGB
}

// Theme is which styles the explorer uses.
type Theme int

const (
	// ThemeAuto follows the terminal: its reply to the background-colour
	// query, else COLORFGBG, else styles readable on both (NeutralStyles).
	ThemeAuto Theme = iota
	ThemeDark
	ThemeLight
)

// ParseTheme parses a --theme value: auto, dark or light.
func ParseTheme(s string) (Theme, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "auto", "":
		return ThemeAuto, nil
	case "dark":
		return ThemeDark, nil
	case "light":
		return ThemeLight, nil
	}
	return ThemeAuto, fmt.Errorf("theme %q: want auto, dark or light", s)
}

// colorFGBG reads COLORFGBG ("15;0": foreground 15 on background 0, set
// by rxvt, Konsole and others, and kept inside tmux, which answers no
// background query): dark is whether the background is dark; ok is false
// when it is missing or unreadable.
func colorFGBG(environ []string) (dark, ok bool) {
	v := ""
	for _, kv := range environ {
		if x, found := strings.CutPrefix(kv, "COLORFGBG="); found {
			v = x
		}
	}
	if v == "" {
		return false, false
	}
	parts := strings.Split(v, ";")
	bg, err := strconv.Atoi(parts[len(parts)-1])
	if err != nil || bg < 0 || bg > 15 {
		return false, false
	}
	return bg <= 6 || bg == 8, true
}

// NeutralStyles are the styles while the background is unknown: numbers
// in the terminal's own foreground, bold, and mid-tone colours that read
// on white and on black.
func NeutralStyles() Styles {
	st := LightStyles()
	base := lipgloss.NewStyle()
	st.Value = base.Bold(true)
	st.Dim = base.Foreground(lipgloss.Color("#808088"))
	st.Label = base.Foreground(lipgloss.Color("#7070B8"))
	st.Formula = base.Foreground(lipgloss.Color("#3C9A4A"))
	st.Notice = base.Foreground(lipgloss.Color("#B88A00"))
	st.Error = base.Foreground(lipgloss.Color("#E03030")).Bold(true)
	st.Progress = base.Foreground(lipgloss.Color("#3A86E0"))
	st.Help = greyHelp("#787888", "#8C8C98", "#9A9AA4") // mid greys: neither fades on white nor on black
	return st
}

// DefaultStyles returns the explorer's styles for a dark or a light
// background (tea.BackgroundColorMsg.IsDark).
func DefaultStyles(dark bool) Styles {
	if dark {
		return DarkStyles()
	}
	return LightStyles()
}

// DarkStyles returns the explorer's styles for a dark background: light
// text. They are the styles until the terminal reports its background.
func DarkStyles() Styles {
	base := lipgloss.NewStyle()
	return Styles{
		Title:    base.Bold(true).Foreground(lipgloss.Color("#E8E8F0")).Background(lipgloss.Color("#3A3A5A")),
		Label:    base.Foreground(lipgloss.Color("#A0A0C8")),
		Dim:      base.Foreground(lipgloss.Color("#808090")),
		Value:    base.Foreground(lipgloss.Color("#F0F0F0")).Bold(true),
		Formula:  base.Foreground(lipgloss.Color("#9AD0A0")),
		Notice:   base.Foreground(lipgloss.Color("#E0C060")),
		Error:    base.Foreground(lipgloss.Color("#FF6060")).Bold(true),
		Progress: base.Foreground(lipgloss.Color("#60B0FF")),
		Help:     help.DefaultDarkStyles(),
		Chart:    chart.DefaultStyles(),
		Lab:      labview.DefaultStyles(true),
		Series: [8]halfblock.RGB{
			{R: 255, G: 140, B: 60},  // ‖update‖
			{R: 90, G: 170, B: 255},  // ‖y − A(x̂0)‖ and σ√m
			{R: 220, G: 90, B: 220},  // second method's ‖update‖
			{R: 100, G: 220, B: 140}, // second method's residual
			{R: 250, G: 230, B: 90},  // ‖g‖
			{R: 170, G: 170, B: 185}, // ‖g*‖
			{R: 240, G: 110, B: 130}, // second method's ‖g‖
			{R: 150, G: 150, B: 165}, // unused
		},
	}
}

// LightStyles returns the explorer's styles for a light background: the
// same structure with dark text and deeper colours.
func LightStyles() Styles {
	base := lipgloss.NewStyle()
	return Styles{
		Title:    base.Bold(true).Foreground(lipgloss.Color("#FFFFFF")).Background(lipgloss.Color("#4A4A78")),
		Label:    base.Foreground(lipgloss.Color("#4A4A80")),
		Dim:      base.Foreground(lipgloss.Color("#6A6A78")),
		Value:    base.Foreground(lipgloss.Color("#101018")).Bold(true),
		Formula:  base.Foreground(lipgloss.Color("#2A7A38")),
		Notice:   base.Foreground(lipgloss.Color("#8A6400")),
		Error:    base.Foreground(lipgloss.Color("#C01818")).Bold(true),
		Progress: base.Foreground(lipgloss.Color("#1A5FB0")),
		Help:     lightHelp(),
		Chart:    chart.LightStyles(),
		Lab:      labview.DefaultStyles(false),
		Series: [8]halfblock.RGB{
			{R: 210, G: 90, B: 0},
			{R: 20, G: 100, B: 210},
			{R: 160, G: 40, B: 160},
			{R: 20, G: 140, B: 60},
			{R: 150, G: 120, B: 0},
			{R: 90, G: 90, B: 100},
			{R: 190, G: 30, B: 70},
			{R: 110, G: 110, B: 120},
		},
	}
}

// lightHelp is bubbles' help for light backgrounds with darker greys: its
// own (#B2B2B2 and lighter) fade out on white.
func lightHelp() help.Styles { return greyHelp("#3A3A48", "#5A5A68", "#8A8A98") }

// greyHelp is bubbles' help with the greys given for keys, descriptions
// and separators.
func greyHelp(k, d, sp string) help.Styles {
	h := help.DefaultLightStyles()
	key, desc, sep := lipgloss.Color(k), lipgloss.Color(d), lipgloss.Color(sp)
	h.ShortKey, h.FullKey = h.ShortKey.Foreground(key), h.FullKey.Foreground(key)
	h.ShortDesc, h.FullDesc = h.ShortDesc.Foreground(desc), h.FullDesc.Foreground(desc)
	h.ShortSeparator, h.FullSeparator, h.Ellipsis = h.ShortSeparator.Foreground(sep), h.FullSeparator.Foreground(sep), h.Ellipsis.Foreground(sep)
	return h
}
