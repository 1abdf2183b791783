package labview

import (
	"charm.land/lipgloss/v2"

	"tweedie/tui/chart"
	"tweedie/tui/halfblock"
)

// Styles holds every style of the lab view.
type Styles struct {
	Title    lipgloss.Style // the header line
	Dim      lipgloss.Style // secondary text
	Label    lipgloss.Style // column heads and component names
	Value    lipgloss.Style // a number
	Error    lipgloss.Style // a batch that could not run
	Progress lipgloss.Style // "running 40/96"
	Exact    lipgloss.Style // the exact posterior weights' bars
	// Bars are the methods' bars and names: ΠG, DPS, oracle.
	Bars [3]lipgloss.Style
	// Lines are the methods' colours in the time chart (as Bars), ExactLine
	// the exact sampler's bound; Chart the chart's axes.
	Lines     [3]halfblock.RGB
	ExactLine halfblock.RGB
	Chart     chart.Styles
	// Heat are the sweep map's cell backgrounds, from the closest to the
	// exact posterior to the farthest.
	Heat [5]lipgloss.Style
}

// DefaultStyles returns the view's styles for a dark or a light background.
func DefaultStyles(dark bool) Styles {
	base := lipgloss.NewStyle()
	c := lipgloss.Color
	if dark {
		return Styles{
			Title:     base.Bold(true).Foreground(c("#E8E8F0")).Background(c("#3A3A5A")),
			Dim:       base.Foreground(c("#808090")),
			Label:     base.Foreground(c("#A0A0C8")),
			Value:     base.Foreground(c("#F0F0F0")).Bold(true),
			Error:     base.Foreground(c("#FF6060")).Bold(true),
			Progress:  base.Foreground(c("#60B0FF")),
			Exact:     base.Foreground(c("#C8C8D0")),
			Bars:      [3]lipgloss.Style{base.Foreground(c("#FF8C3C")), base.Foreground(c("#5AAAFF")), base.Foreground(c("#64DC8C"))},
			Lines:     [3]halfblock.RGB{{R: 0xFF, G: 0x8C, B: 0x3C}, {R: 0x5A, G: 0xAA, B: 0xFF}, {R: 0x64, G: 0xDC, B: 0x8C}},
			ExactLine: halfblock.RGB{R: 0xC8, G: 0xC8, B: 0xD0},
			Chart:     chart.DefaultStyles(),
			Heat:      heat(base, "#F0F0F0", [5]string{"#1E5A32", "#3C6E28", "#6E6E1E", "#8C4A1E", "#8C1E1E"}),
		}
	}
	return Styles{
		Title:     base.Bold(true).Foreground(c("#FFFFFF")).Background(c("#4A4A78")),
		Dim:       base.Foreground(c("#6A6A78")),
		Label:     base.Foreground(c("#4A4A80")),
		Value:     base.Foreground(c("#101018")).Bold(true),
		Error:     base.Foreground(c("#C01818")).Bold(true),
		Progress:  base.Foreground(c("#1A5FB0")),
		Exact:     base.Foreground(c("#505060")),
		Bars:      [3]lipgloss.Style{base.Foreground(c("#D25A00")), base.Foreground(c("#1464D2")), base.Foreground(c("#148C3C"))},
		Lines:     [3]halfblock.RGB{{R: 0xD2, G: 0x5A, B: 0x00}, {R: 0x14, G: 0x64, B: 0xD2}, {R: 0x14, G: 0x8C, B: 0x3C}},
		ExactLine: halfblock.RGB{R: 0x50, G: 0x50, B: 0x60},
		Chart:     chart.LightStyles(),
		Heat:      heat(base, "#101018", [5]string{"#A0E6B4", "#C8E696", "#F0E68C", "#F5C08C", "#F59696"}),
	}
}

// heat returns cell styles of the given backgrounds with one foreground.
func heat(base lipgloss.Style, fg string, bgs [5]string) [5]lipgloss.Style {
	var out [5]lipgloss.Style
	for i, bg := range bgs {
		out[i] = base.Foreground(lipgloss.Color(fg)).Background(lipgloss.Color(bg))
	}
	return out
}
