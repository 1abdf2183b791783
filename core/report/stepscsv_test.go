package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"slices"
	"strconv"
	"strings"
	"testing"

	"tweedie/core/gmm"
	"tweedie/core/img"
	"tweedie/core/method"
	"tweedie/core/operator"
	"tweedie/core/run"
)

// TestStepsCSVParticles: a particle method's steps.csv adds N, the ESS,
// whether the step resampled and the surviving particles, from the
// trajectory's particle records; other methods keep the plain header.
func TestStepsCSVParticles(t *testing.T) {
	shape := img.Shape{H: 2, W: 2, C: 1}
	mix := gmm.Random(shape, 2, 2, 3)
	op, err := operator.Parse("svd:dy=2,seed=1", shape)
	if err != nil {
		t.Fatal(err)
	}
	prob, err := run.NewProblem(mix, op, mix.Components[0].Mean, 0.2, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tds", "pig"} {
		m, _ := method.Lookup(name)
		r, err := run.New(prob, run.Config{Steps: 8, Seed: 2, Method: m, Params: method.Values{"particles": "5"}})
		if err != nil {
			t.Fatal(err)
		}
		tr, err := r.Run(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := WriteStepsCSV(&b, tr); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&b).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := StepsCSVHeader
		if name == "tds" {
			want += ParticlesCSVHeader
		}
		if strings.Join(rows[0], ",") != want || len(rows) != 9 {
			t.Fatalf("%s: header %v, %d rows", name, rows[0], len(rows)-1)
		}
		if name != "tds" {
			continue
		}
		for i, row := range rows[1:] {
			p, _ := tr.Particle(i)
			ess, _ := strconv.ParseFloat(row[13], 64)
			if row[12] != "5" || ess != p.ESS || (row[14] == "1") != p.Resampled || row[15] != strconv.Itoa(p.Distinct) {
				t.Errorf("row %d: %v, record %+v", i, row[12:], p)
			}
		}
	}
}

func TestGIFSteps(t *testing.T) {
	for _, c := range []struct {
		done, every int
		want        []int
	}{
		{20, 3, []int{0, 3, 6, 9, 12, 15, 18, 19}},
		{19, 3, []int{0, 3, 6, 9, 12, 15, 18}},
		{1, 5, []int{0}},
		{1000, 20, nil},
	} {
		got := GIFSteps(c.done, c.every)
		if c.want == nil {
			if len(got) != 51 || got[50] != 999 {
				t.Errorf("1000 steps every 20: %d frames", len(got))
			}
			continue
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("GIFSteps(%d, %d) = %v, want %v", c.done, c.every, got, c.want)
		}
	}
}
