package main

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"tweedie/core/method"
	"tweedie/core/prior"
	"tweedie/internal/cli"
)

// Completions of flag values, from the registries: methods, operators,
// priors, and fixed words.

// completeWords completes a flag from a list of words.
func completeWords(cmd *cobra.Command, flag string, words []string) {
	_ = cmd.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(words, cobra.ShellCompDirectiveNoFileComp))
}

// completeMethods completes a flag with the registered methods, described
// by their labels and summaries; list says the flag takes a comma list.
func completeMethods(cmd *cobra.Command, flag string, list bool) {
	_ = cmd.RegisterFlagCompletionFunc(flag, func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		prefix := ""
		if list {
			if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
				prefix = toComplete[:i+1]
			}
		}
		listed := strings.Split(prefix, ",")
		var out []string
		for _, m := range method.All() {
			if !slices.Contains(listed, m.Name) {
				out = append(out, prefix+m.Name+"\t"+m.Label+": "+shortSummary(m))
			}
		}
		directive := cobra.ShellCompDirectiveNoFileComp
		if list {
			directive |= cobra.ShellCompDirectiveNoSpace
		}
		return out, directive
	})
}

// completePriors completes --prior with the prior registry.
func completePriors(cmd *cobra.Command) {
	completeWords(cmd, "prior", prior.Names())
}

// methodsOnLine are the methods the words of a command line name with
// --method or --methods (either spelling of a long flag, = or a space).
func methodsOnLine(args []string) []*method.Method {
	var ms []*method.Method
	for i, a := range args {
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || (name != "method" && name != "methods") {
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				continue
			}
			value = args[i+1]
		}
		for _, n := range strings.Split(value, ",") {
			if m, err := method.Lookup(strings.TrimSpace(n)); err == nil && !slices.Contains(ms, m) {
				ms = append(ms, m)
			}
		}
	}
	return ms
}

// showParamsOf hides the method-parameter flags of cmd that none of ms
// takes, so that help and completion offer only those of the methods on
// the line.
func showParamsOf(cmd *cobra.Command, ms []*method.Method) {
	for _, prm := range method.Params() {
		if f := cmd.Flags().Lookup(prm.Name); f != nil && cli.GroupOf(f) == groupParams {
			f.Hidden = !slices.ContainsFunc(ms, func(m *method.Method) bool { return m.Param(prm.Name) != nil })
		}
	}
}

// completeSweep completes --sweep with the names it sweeps: steps, eta
// and the numeric method parameters, each followed by "=".
func completeSweep(cmd *cobra.Command) {
	_ = cmd.RegisterFlagCompletionFunc("sweep", func(_ *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
		names := []string{"steps=", "eta="}
		for _, p := range method.Params() {
			if p.Kind != method.Choice {
				names = append(names, p.Name+"=")
			}
		}
		return names, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	})
}
