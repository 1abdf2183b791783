package main

import (
	"fmt"

	"tweedie/core/budget"
	"tweedie/core/imgio"
	"tweedie/core/report"
	"tweedie/core/run"
	"tweedie/internal/cli"
)

// The memory of `tweedie run` against the process's budget (core/budget):
// before the run, its Footprint, the trajectory's bound lowered to what
// the budget leaves (a large image keeps fewer steps); after it, the
// vectors' share is given back and the outputs' taken (outputBytes).

// runMemory is what a run holds of the budget.
type runMemory struct{ vectors, trajectory *budget.Reservation }

// reserveRun fits the run's trajectory to the budget and reserves the
// run: an error (a usage error: nothing has started) when even its least
// does not fit, or what --dump keeps (every step) does not.
func reserveRun(c *report.Case) (*runMemory, error) {
	b := budget.Process
	shape, steps := c.Prob.Shape(), c.Config.Steps
	if keep, ok := run.FitKeepBytes(c.Prob, c.Config, b.Free()); ok {
		c.Config.KeepBytes = keep
	}
	vectors, traj, err := run.FootprintParts(c.Prob, c.Config)
	if err != nil {
		return nil, cli.Usage(err)
	}
	what := fmt.Sprintf("a run of %d steps on %d×%d×%d images", steps, shape.H, shape.W, shape.C)
	if c.Config.KeepBytes < 0 {
		what += " keeping every step for --dump"
	}
	all, err := b.Reserve(what, vectors+traj)
	if err != nil {
		return nil, cli.Usage(err)
	}
	// The vectors go back after the run, the trajectory after the outputs.
	return &runMemory{vectors: all, trajectory: all.Split(traj)}, nil
}

// outputs trades the run's vectors, dropped once it has ended, for the
// outputs' memory (outputBytes).
func (m *runMemory) outputs(c *report.Case, frames int) error {
	m.vectors.Release()
	var err error
	m.vectors, err = budget.Process.Reserve("the outputs of the run", outputBytes(c, frames))
	return err
}

// release gives back all the run holds.
func (m *runMemory) release() {
	m.vectors.Release()
	m.trajectory.Release()
}

// outputBytes bounds the memory of the summary and the files of a run on
// c with frames GIF frames: the images in float64 (the last x̂0, the
// measurement, the operator's output for the residual, a GIF frame's two
// panels), SSIM's eleven planes of H×W, an RGBA picture at a time (two
// for a GIF frame, which it turns into a paletted one) and the GIF's
// paletted frames, at the pictures' scale.
func outputBytes(c *report.Case, frames int) int64 {
	s := c.Prob.Shape()
	d, plane := int64(s.Len()), int64(s.H)*int64(s.W)
	k := int64(imgio.ViewScale(s))
	picture := plane * k * k
	return 8*d*5 + 8*11*plane + 4*2*picture + int64(frames)*2*picture
}
