package tui

import (
	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"

	"tweedie/tui/chart"
	"tweedie/tui/halfblock"
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
	// Series are the chart's line colours: guidance norm, residual, and
	// the second method's in compare mode.
	Series [4]halfblock.RGB
}

// DefaultStyles returns the explorer's styles for a dark background.
func DefaultStyles() Styles {
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
		Series: [4]halfblock.RGB{
			{R: 255, G: 140, B: 60},  // ‖update‖
			{R: 90, G: 170, B: 255},  // ‖y − A(x̂0)‖
			{R: 220, G: 90, B: 220},  // second method's ‖update‖
			{R: 100, G: 220, B: 140}, // second method's residual
		},
	}
}
