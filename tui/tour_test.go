package tui

import (
	"fmt"
	"os"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"tweedie/tui/tour"
)

// tourModel opens the explorer of testOptions at a stop of the tour.
func tourModel(t *testing.T, stop int, lang tour.Lang, w, h int) *Model {
	t.Helper()
	o := testOptions()
	o.Tour = TourOptions{Stop: stop, Lang: lang}
	m, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	drain(m, m.Init())
	return m
}

func TestTourDump(t *testing.T) {
	if os.Getenv("TOUR_DUMP") == "" {
		t.Skip()
	}
	for _, lang := range tour.Langs {
		for i := 1; i <= TourStops(); i++ {
			m := tourModel(t, i, lang, 80, 24)
			fmt.Println(ansi.Strip(m.render()))
			fmt.Println(strings.Repeat("=", 80))
		}
	}
}
