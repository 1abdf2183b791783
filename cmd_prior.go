package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"tweedie/core/export"
	"tweedie/core/prior"

	"tweedie/core/gmm"
)

func cmdPrior(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("tweedie prior")
	priorSpec := addPriorFlag(fs)
	pos, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printHelp(stdout, fs, helpText("prior")+exitCodesHelp)
		return exitOK
	}
	if err != nil {
		return fail(stderr, "prior", usageError{err})
	}
	if len(pos) == 0 {
		return fail(stderr, "prior", usagef("want a subcommand: export FILE.npz or list"))
	}
	switch pos[0] {
	case "list":
		if len(pos) > 1 {
			return fail(stderr, "prior", usagef("list takes no arguments, got %q", pos[1]))
		}
		fmt.Fprint(stdout, prior.Help())
		return exitOK
	case "export":
		if len(pos) != 2 {
			return fail(stderr, "prior", usagef("export wants one FILE.npz, got %d arguments", len(pos)-1))
		}
		path := pos[1]
		if err := export.CheckDest("export", path); err != nil {
			return fail(stderr, "prior", usageError{err})
		}
		p, err := loadPrior(*priorSpec)
		if err != nil {
			return fail(stderr, "prior", err)
		}
		if p.Mixture == nil {
			return fail(stderr, "prior", usagef("prior %s is not a Gaussian mixture: nothing to export", p.Spec))
		}
		if err := export.AtomicFile(path, func(w io.Writer) error { return gmm.WriteNPZ(w, p.Mixture) }); err != nil {
			return fail(stderr, "prior", fmt.Errorf("export %s: %w", path, err))
		}
		m := p.Mixture
		fmt.Fprintf(stdout, "wrote %s: %s prior, K = %d components, d = %d (%v), q = %d\n",
			path, p.Spec, len(m.Components), m.Dim(), m.Shape, m.Components[0].Rank())
		return exitOK
	}
	return fail(stderr, "prior", usagef("unknown subcommand %q (want export or list)", pos[0]))
}
