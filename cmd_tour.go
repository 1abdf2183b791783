package main

import (
	"fmt"
	"io"
	"strconv"

	"tweedie/core/method"
	"tweedie/tui"
	"tweedie/tui/tour"
)

// cmdTour opens the explorer in the guided tour.
func cmdTour(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("tweedie tour")
	ef := addExplorerFlags(fs)
	n := tui.TourStops()
	stop := fs.String("stop", "1", fmt.Sprintf("open stop `N` (1 to %d)", n))
	lang := fs.String("lang", "", "language of the texts: en or zh (default: zh when LC_ALL, LC_MESSAGES or LANG starts with zh, else en)")
	if status, done := parseNoArgs(fs, args, "tour", helpText("tour"), stdout, stderr); done {
		return status
	}
	to, err := tourFlags(ef.pf, *stop, *lang, n)
	if err != nil {
		return fail(stderr, "tour", usageError{err})
	}
	return ef.open("tour", &to, stderr)
}

// tourFlags checks --stop and --lang and refuses the flags every stop sets.
func tourFlags(pf *problemFlags, stop, lang string, n int) (tui.TourOptions, error) {
	var to tui.TourOptions
	for _, name := range tourSets() {
		if pf.set(name) {
			return to, fmt.Errorf("--%s: each stop of the tour sets it (use the explorer, or change it inside a stop)", name)
		}
	}
	s, err := strconv.Atoi(stop)
	if err != nil || s < 1 || s > n {
		return to, fmt.Errorf("--stop %q: want a stop number from 1 to %d", stop, n)
	}
	to.Stop = s
	if lang != "" {
		if to.Lang, err = tour.ParseLang(lang); err != nil {
			return to, fmt.Errorf("--lang: %w", err)
		}
	}
	return to, nil
}

// tourSets are the flags the tour's stops set: the problem's operator,
// method, σ and every method parameter.
func tourSets() []string {
	names := []string{"op", "method", "sigma"}
	for _, p := range method.Params() {
		names = append(names, p.Name)
	}
	return names
}
