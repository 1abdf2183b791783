package lab

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"tweedie/core/export"
	"tweedie/core/method"
	"tweedie/core/prior"
	"tweedie/core/run"
)

// particleConfig is the problem of `tweedie lab --prior gmm25:d=8 --op
// svd:dy=1 --sigma 0.1 --steps 100` (docs/lab.md's problem: prior draw
// 0, noise seed 1, reference seed 1): each particle method at each N, then
// the oracle. The lab command with --methods mcgdiff,tds,oracle
// --particles N1,N2,… gives the same report.
func particleConfig(t testing.TB, seeds int, ns ...int) Config {
	pd, err := prior.Load("gmm25:d=8")
	if err != nil {
		t.Fatal(err)
	}
	var entries []Entry
	add := func(m string, v method.Values) {
		s := run.DefaultSettings()
		s.Op, s.Sigma, s.Steps, s.Method, s.Params = "svd:dy=1,seed=1", 0.1, 100, m, v
		entries = append(entries, Entry{Label: fmt.Sprintf("%s N=%s", m, v["particles"]), Settings: s})
	}
	for _, m := range []string{"mcgdiff", "tds"} {
		for _, n := range ns {
			add(m, method.Values{"particles": strconv.Itoa(n)})
		}
	}
	add("oracle", nil)
	return Config{Prior: pd.Mixture, Truth: pd.Truths[0].Image.Pix, Entries: entries, Seeds: seeds, FirstSeed: 1, Seed: 1,
		Projections: DefaultProjections}
}

// TestParticlesConverge: with 64 particles MCGdiff and TDS land the
// posterior's modes in their exact proportions far better than with one
// (where they are a single guided chain), and their SW falls with them.
func TestParticlesConverge(t *testing.T) {
	if testing.Short() {
		t.Skip("statistical test")
	}
	rep := runLab(t, particleConfig(t, 120, 1, 64))
	for m := range 2 {
		one, many := rep.Results[2*m], rep.Results[2*m+1]
		t.Logf("%s: TV %.3f → %.3f, SW %.3f → %.3f (floor TV %.3f, SW %.3f; oracle TV %.3f)",
			one.Label, one.TV, many.TV, one.SW, many.SW, rep.TVFloor, rep.SWFloor, rep.Results[4].TV)
		if many.TV > one.TV/2 || many.SW >= one.SW {
			t.Errorf("%s: N = 64 scores TV %.3f, SW %.3f; N = 1: TV %.3f, SW %.3f", many.Label, many.TV, many.SW, one.TV, one.SW)
		}
		if many.TV > 0.25 {
			t.Errorf("%s: TV %.3f with 64 particles", many.Label, many.TV)
		}
	}
}

// TestParticleFigure writes docs/lab.md's table and plot of the particle
// methods against N when TWEEDIE_PARTICLE_FIGURE names a directory (a
// relative one from the repository's root), in about 10 minutes on two cores:
//
//	TWEEDIE_PARTICLE_FIGURE=docs go test ./core/lab -run ParticleFigure -timeout 60m
func TestParticleFigure(t *testing.T) {
	dir := os.Getenv("TWEEDIE_PARTICLE_FIGURE")
	if dir == "" {
		t.Skip("set TWEEDIE_PARTICLE_FIGURE=DIR to write particles.png and particles.md")
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("..", "..", dir) // tests run in core/lab
	}
	ns := []int{1, 4, 16, 64, 256}
	seeds := 1000
	if s, err := strconv.Atoi(os.Getenv("TWEEDIE_PARTICLE_SEEDS")); err == nil {
		seeds = s
	}
	rep := runLab(t, particleConfig(t, seeds, ns...))
	var md strings.Builder
	fmt.Fprintf(&md, "| N | MCGdiff TV · SW | TDS TV · SW | NFE per sample |\n| ---: | ---: | ---: | ---: |\n")
	var series []export.ParticleSeries
	for m, name := range []string{"MCGdiff", "TDS"} {
		s := export.ParticleSeries{Method: name, N: ns}
		for i := range ns {
			r := rep.Results[m*len(ns)+i]
			s.TV, s.SW = append(s.TV, r.TV), append(s.SW, r.SW)
		}
		series = append(series, s)
	}
	for i, n := range ns {
		a, b := rep.Results[i], rep.Results[len(ns)+i]
		fmt.Fprintf(&md, "| %d | %.3f · %.3f | %.3f · %.3f | %.0f (+%.0f VJPs for TDS) |\n", n, a.TV, a.SW, b.TV, b.SW, a.NFE, b.VJPs)
	}
	or := rep.Results[len(rep.Results)-1]
	fmt.Fprintf(&md, "| oracle | %.3f · %.3f | | %.0f |\n| exact (floor band: median, 5–95%%) | %.3f (%.3f–%.3f) · %.3f (%.3f–%.3f) | | |\n",
		or.TV, or.SW, or.NFE, rep.TVFloor.Median, rep.TVFloor.Lo, rep.TVFloor.Hi, rep.SWFloor.Median, rep.SWFloor.Lo, rep.SWFloor.Hi)
	t.Log("\n" + md.String())
	var png bytes.Buffer
	if err := export.WriteParticlePlot(&png, series, rep.TVFloor.Median, rep.SWFloor.Median); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "particles.png"), png.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "particles.md"), []byte(md.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestParticlesDeterministic: the particle methods' lab report is the same
// whatever the number of workers (each run draws its particles from its
// own seed; svd clones share no scratch).
func TestParticlesDeterministic(t *testing.T) {
	cfg := particleConfig(t, 8, 4)
	for i := range cfg.Entries {
		cfg.Entries[i].Settings.Steps = 20
	}
	cfg.Workers = 1
	a := runLab(t, cfg)
	cfg.Workers = 3
	b := runLab(t, cfg)
	if fa, fb := fmt.Sprintf("%+v", a), fmt.Sprintf("%+v", b); fa != fb { // NaN ≠ NaN for reflect.DeepEqual
		t.Errorf("reports differ:\n%s\n%s", fa, fb)
	}
}
