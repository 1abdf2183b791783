package labview

import "charm.land/lipgloss/v2"

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
}

// DefaultStyles returns the view's styles for a dark or a light background.
func DefaultStyles(dark bool) Styles {
	base := lipgloss.NewStyle()
	c := lipgloss.Color
	if dark {
		return Styles{
			Title:    base.Bold(true).Foreground(c("#E8E8F0")).Background(c("#3A3A5A")),
			Dim:      base.Foreground(c("#808090")),
			Label:    base.Foreground(c("#A0A0C8")),
			Value:    base.Foreground(c("#F0F0F0")).Bold(true),
			Error:    base.Foreground(c("#FF6060")).Bold(true),
			Progress: base.Foreground(c("#60B0FF")),
			Exact:    base.Foreground(c("#C8C8D0")),
			Bars:     [3]lipgloss.Style{base.Foreground(c("#FF8C3C")), base.Foreground(c("#5AAAFF")), base.Foreground(c("#64DC8C"))},
		}
	}
	return Styles{
		Title:    base.Bold(true).Foreground(c("#FFFFFF")).Background(c("#4A4A78")),
		Dim:      base.Foreground(c("#6A6A78")),
		Label:    base.Foreground(c("#4A4A80")),
		Value:    base.Foreground(c("#101018")).Bold(true),
		Error:    base.Foreground(c("#C01818")).Bold(true),
		Progress: base.Foreground(c("#1A5FB0")),
		Exact:    base.Foreground(c("#505060")),
		Bars:     [3]lipgloss.Style{base.Foreground(c("#D25A00")), base.Foreground(c("#1464D2")), base.Foreground(c("#148C3C"))},
	}
}
