package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"tweedie/core/method"
	"tweedie/internal/cli"
	"tweedie/tui"
	"tweedie/tui/tour"
)

// newTourCmd is the explorer in the guided tour.
func newTourCmd() *cobra.Command {
	var ef explorerFlags
	var stop, lang string
	n := tui.TourStops()
	cmd := &cobra.Command{
		Use:  "tour",
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			to, err := tourFlags(cmd, stop, lang, n)
			if err != nil {
				return cli.Usage(err)
			}
			return ef.open(cmd, &to)
		},
	}
	ef.add(cmd)
	fs := cmd.Flags()
	fs.StringVar(&stop, "stop", "1", fmt.Sprintf("open stop `N` (1 to %d)", n))
	fs.StringVar(&lang, "lang", "", "language of the texts: en or zh (default: zh when LC_ALL, LC_MESSAGES or LANG starts with zh, else en)")
	cli.SetGroup(fs, groupTour, "stop", "lang")
	completeWords(cmd, "lang", []string{"en", "zh"})
	for _, name := range tourSets() {
		fs.Lookup(name).Hidden = true
	}
	return cmd
}

// tourFlags checks --stop and --lang and refuses the flags every stop
// sets when they are on the command line; from the environment or the
// config file they are left aside.
func tourFlags(cmd *cobra.Command, stop, lang string, n int) (tui.TourOptions, error) {
	var to tui.TourOptions
	for _, name := range tourSets() {
		if cmd.Flags().Changed(name) {
			return to, fmt.Errorf("--%s: each stop of the tour sets it (use the explorer, or change it inside a stop)", name)
		}
		if err := cli.Reset(cmd.Flags().Lookup(name)); err != nil {
			return to, err
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
