package tui

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"tweedie/core/budget"
	"tweedie/core/prior"
	"tweedie/core/run"
	"tweedie/core/worker"
	"tweedie/core/worker/workertest"
	"tweedie/tui/termcaps"
)

func TestMain(m *testing.M) {
	workertest.Main() // the fake model worker, when this binary is run as one
	os.Exit(m.Run())
}

// fakePrior loads --prior remote: running this test binary as the Go fake
// worker (core/worker/workertest) of images of shape ("28x28x1"); the
// worker writes its process id to the file returned.
func fakePrior(t *testing.T, shape string) (*prior.Prior, string) {
	t.Helper()
	pidFile := filepath.Join(t.TempDir(), "pid")
	cmd, err := workertest.Command(workertest.OK, workertest.EnvShape+"="+shape, workertest.EnvPIDFile+"="+pidFile)
	if err != nil {
		t.Fatal(err)
	}
	p, err := prior.Load("remote:" + cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, pidFile
}

func workerOptions(p *prior.Prior, op string, steps int) Options {
	o := testOptions()
	o.Prior, o.Images = p, nil
	o.Settings.Op, o.Settings.Steps = op, steps
	return o
}

// checkFake checks a step's x̂0 against the fake model's formula applied to
// its x_t, x̂0_i = sqrt(ᾱ)·(x_i + ½·x_{i+1 mod d}) (x_t rounded to float32
// in the record, so to 1e-6).
func checkFake(t *testing.T, xt, x0 []float32, alphaBar float64) {
	t.Helper()
	d := len(xt)
	for i := range xt {
		want := math.Sqrt(alphaBar) * (float64(xt[i]) + 0.5*float64(xt[(i+1)%d]))
		if math.Abs(float64(x0[i])-want) > 1e-5*(1+math.Abs(want)) {
			t.Fatalf("x̂0[%d] = %v, the fake model gives %v", i, x0[i], want)
		}
	}
}

func shownImages(m *Model) int {
	n := 0
	for _, p := range m.layout().panels {
		if p.image != nil && strings.Contains(p.id, "·") {
			n++
		}
	}
	return n
}

// TestExplorerThroughWorker: the explorer runs ΠG through a worker process
// (the Go fake), its panels fill with the model's numbers; a killed worker
// gives the on-screen notice, the explorer stays usable, and the worker is
// started again by the next run (at most every 5 s).
func TestExplorerThroughWorker(t *testing.T) {
	p, pidFile := fakePrior(t, "28x28x1")
	m, err := New(workerOptions(p, "inpaint-box:size=14", 20))
	if err != nil {
		t.Fatal(err)
	}
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 50})
	drain(m, m.Init())
	s := m.shown()
	if s == nil || !s.done || s.err != nil || len(s.steps) != 20 {
		t.Fatalf("run through the worker: %+v", s)
	}
	if n := shownImages(m); n < 3 {
		t.Fatalf("%d run panels hold images:\n%s", n, m.render())
	}
	for _, i := range []int{0, 7, 19} {
		sd := s.steps[i]
		checkFake(t, sd.Xt, sd.X0Hat, sd.Rec.AlphaBar)
	}

	// A killed worker is started again by the next run...
	kill := func() {
		t.Helper()
		b, err := os.ReadFile(pidFile)
		if err != nil {
			t.Fatal(err)
		}
		pid, _ := strconv.Atoi(string(b))
		if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		for syscall.Kill(-pid, 0) == nil {
			time.Sleep(10 * time.Millisecond)
		}
		for p.Model.(*worker.Remote).Err() == nil {
			time.Sleep(10 * time.Millisecond)
		}
	}
	kill()
	drain(m, press(m, "e")) // a new seed: a new run
	if s = m.shown(); s == nil || s.err != nil || len(s.steps) != 20 {
		t.Fatalf("the first run after a crash: %+v", s)
	}
	// ...but not twice within 5 s: the run fails with a notice.
	kill()
	killed := time.Now()
	drain(m, press(m, "e"))
	s = m.shown()
	if s == nil || s.err == nil {
		t.Fatal("a run through a killed worker did not fail")
	}
	out := m.render()
	t.Logf("notice: %v", s.err)
	if !strings.Contains(out, "worker") {
		t.Errorf("no notice of the worker:\n%s", out)
	}
	// At 120 columns the notice, cut to the width, keeps the cause: the
	// worker's command comes last.
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 50})
	notice := ""
	for _, line := range strings.Split(ansi.Strip(m.render()), "\n") {
		if strings.Contains(line, "denoiser:") {
			notice = line
		}
	}
	if !strings.Contains(notice, "the worker exited (signal: killed)") {
		t.Errorf("the notice at 120 columns lacks the cause:\n%q", notice)
	}
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 50})
	// Still usable: keys move, help opens, the frame draws.
	drain(m, press(m, "?", "?", "right", "left"))
	_ = m.render()

	// After the restart interval the next run starts the worker again.
	time.Sleep(time.Until(killed.Add(5200 * time.Millisecond)))
	drain(m, press(m, "e"))
	s = m.shown()
	if s == nil || s.err != nil || !s.done || len(s.steps) != 20 {
		t.Fatalf("after a restart: %+v", s)
	}
	if shownImages(m) < 3 {
		t.Errorf("no panels after the worker's restart:\n%s", m.render())
	}
}

// TestLargeImageThroughWorker: a 256×256×3 model through the worker, with
// a trajectory that keeps every few steps only. Half-block panels shrink
// to fit; a step not kept shows "recomputing" and then its vectors,
// replayed bit for bit (run.Replay checks the checksums) and agreeing with
// the fake model.
func TestLargeImageThroughWorker(t *testing.T) {
	if testing.Short() {
		t.Skip("256×256×3 through a worker: not in -short")
	}
	old := keepBytes
	keepBytes = 16 * 256 * 256 * 3 * 8 // 8 rows: every 4th step of 24 kept
	defer func() { keepBytes = old }()
	p, _ := fakePrior(t, "256x256x3")
	m, err := New(workerOptions(p, "inpaint-box:size=64", 24))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.cancelRuns) // its runs' share of the memory budget
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 60})
	drain(m, m.Init())
	s := m.shown()
	if s == nil || !s.done || s.err != nil || len(s.steps) != 24 {
		t.Fatalf("run: %+v", s)
	}
	kept := 0
	for _, sd := range s.steps {
		if sd.Xt != nil {
			kept++
		}
	}
	if kept == 0 || kept >= 24 {
		t.Fatalf("%d of 24 steps kept", kept)
	}
	l := m.layout()
	if len(l.panels) == 0 || l.scale.Scale > -2 {
		t.Fatalf("256×256 panels at scale %+v, %d panels", l.scale, len(l.panels))
	}
	cmd := press(m, "home", "right", "right") // step 3: not kept
	if out := m.render(); !strings.Contains(out, "recomputing step 3…") {
		t.Errorf("no recomputing notice at step 3:\n%s", out)
	}
	drain(m, cmd)
	i := m.shownStep(s)
	if s.steps[i].Xt != nil {
		t.Fatalf("step %d kept", i+1)
	}
	xt, x0, _, ok, why := s.rowsAt(i)
	if !ok {
		t.Fatalf("step %d not recomputed: %q\n%s", i+1, why, m.render())
	}
	checkFake(t, xt, x0, s.steps[i].Rec.AlphaBar)
	if shownImages(m) < 3 {
		t.Errorf("no panels at a recomputed step:\n%s", m.render())
	}
	if n := len(s.replay.rows); n*16*256*256*3 > replayBytes {
		t.Errorf("%d recomputed steps held, over %d bytes", n, replayBytes)
	}
	var re *run.ReplayError
	if errors.As(s.replay.err, &re) {
		t.Errorf("replay: %v", re)
	}
}

// TestLargeImageSixelFullResolution: a 256×256×3 model's panels take the
// box of a shrunk half-block drawing (256/f columns), and sixel draws the
// whole image in that box's pixels — at least its 256×256 — instead of
// the f×f averages half-blocks show.
func TestLargeImageSixelFullResolution(t *testing.T) {
	if testing.Short() {
		t.Skip("256×256×3 through a worker: not in -short")
	}
	p, _ := fakePrior(t, "256x256x3")
	opts := workerOptions(p, "inpaint-box:size=64", 4)
	opts.Graphics = termcaps.Sixel
	opts.Cell = termcaps.Size{W: 10, H: 20}
	m, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(200, 60),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.TrueColor)))
	sizes := sixelSizes(t, tm, 4)
	tm.Quit()
	tm.WaitFinished(t, teatest.WithFinalTimeout(maxWait(t)))
	l := m.layout()
	if l.scale.Scale > -2 {
		t.Fatalf("layout scale %+v: want a shrink for 256×256 at 200×60", l.scale)
	}
	for _, wh := range sizes {
		w, h := wh[0], wh[1]
		if w != l.pw*10 || h != l.ph*20 {
			t.Errorf("sixel %d×%d px, want the panel's box %d×%d", w, h, l.pw*10, l.ph*20)
		}
		if w < 256 || h < 256 {
			t.Errorf("sixel %d×%d px: below the image's 256×256 (half-blocks draw %d columns)", w, h, l.pw)
		}
	}
	t.Logf("half-blocks: %d×%d cells (shrink %d); sixel: %d×%d px", l.pw, l.ph, -l.scale.Scale, l.pw*10, l.ph*20)
}

// TestExplorerMemoryLargeRun: the explorer's memory for a 1000-step run of a
// 256×256×3 model (the Go fake through the worker protocol), measured as
// the live heap (runtime.MemStats.HeapAlloc after a GC): the shown run and
// its compare partner's, their kept steps shared with the explorer, within
// keepBudget, also after recomputing a late step — not the 5.5 GB per run
// that keeping and copying every step took.
func TestExplorerMemoryLargeRun(t *testing.T) {
	if testing.Short() {
		t.Skip("1000 steps at 256×256×3: not in -short")
	}
	p, _ := fakePrior(t, "256x256x3")
	before := heapLive()
	m, err := New(workerOptions(p, "inpaint-box:size=64", 1000))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.cancelRuns) // its runs' share of the memory budget
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 60})
	drain(m, m.Init())
	s := m.shown()
	if s == nil || !s.done || len(s.steps) != 1000 {
		t.Fatalf("run: %+v", s)
	}
	_ = m.render()
	afterRun := heapLive() - before
	drain(m, press(m, "end", "left", "left")) // step 998: recomputed from x_T
	if _, _, _, ok, why := s.rowsAt(m.shownStep(s)); !ok {
		t.Fatalf("step 998 not recomputed: %q", why)
	}
	_ = m.render()
	afterReplay := heapLive() - before
	t.Logf("live heap: %.1f MB after the run, %.1f MB after recomputing step 998", float64(afterRun)/1e6, float64(afterReplay)/1e6)
	const slack = 32 << 20 // the problem's images, records, caches
	for _, c := range []struct {
		when string
		heap int64
	}{{"after the run", afterRun}, {"after a replay", afterReplay}} {
		if c.heap > keepBudget+slack {
			t.Errorf("%s the explorer holds %d bytes, bound %d", c.when, c.heap, keepBudget+slack)
		}
	}
	if n := len(m.runs.slots); n > 2 {
		t.Errorf("%d runs held", n)
	}
	runtime.KeepAlive(m)
}

func heapLive() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// TestRunsWithinBudget: cycling through methods on a large model drops the
// oldest runs not shown, so that the runs held stay within keepBudget; on
// a small one every method's run stays.
func TestRunsWithinBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("256×256×3 through a worker: not in -short")
	}
	for _, c := range []struct {
		shape, op string
		large     bool
	}{{"256x256x3", "inpaint-box:size=64", true}, {"28x28x1", "inpaint-box:size=14", false}} {
		p, _ := fakePrior(t, c.shape)
		m, err := New(workerOptions(p, c.op, 40))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(m.cancelRuns)
		m.Update(tea.WindowSizeMsg{Width: 200, Height: 60})
		drain(m, m.Init())
		for range 5 {
			drain(m, press(m, "m"))
		}
		total := int64(0)
		for _, s := range m.runs.slots {
			total += s.mem.Bytes()
		}
		t.Logf("%s: %d runs held, %.0f MB at most", c.shape, len(m.runs.slots), float64(total)/1e6)
		switch {
		case total > keepBudget:
			t.Errorf("%s: runs of %d bytes held, budget %d", c.shape, total, keepBudget)
		case c.large && len(m.runs.slots) > 3:
			t.Errorf("%s: %d runs held", c.shape, len(m.runs.slots))
		case !c.large && len(m.runs.slots) < 6:
			t.Errorf("%s: only %d runs held after 6 methods", c.shape, len(m.runs.slots))
		}
		if m.shown() == nil {
			t.Errorf("%s: the shown method has no run", c.shape)
		}
	}
}

// TestRunBeyondBudget: a run the memory budget cannot hold is not
// started; its notice says why.
func TestRunBeyondBudget(t *testing.T) {
	p, _ := fakePrior(t, "64x64x1")
	old := budget.Process
	budget.Process = budget.New(1 << 20) // not one run of 64×64 (40 vectors: 1.3 MB)
	defer func() { budget.Process = old }()
	m, err := New(workerOptions(p, "inpaint-box:size=16", 20))
	if err != nil {
		t.Fatal(err)
	}
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 50})
	drain(m, m.Init())
	s := m.shown()
	var be *budget.Error
	if s == nil || !errors.As(s.err, &be) || len(s.steps) != 0 {
		t.Fatalf("a run beyond the budget: %+v", s)
	}
	if out := ansi.Strip(m.render()); !strings.Contains(out, "more than the") || !strings.Contains(out, "memory budget") {
		t.Errorf("no notice of the budget:\n%s", out)
	}
	if budget.Process.Free() != 1<<20 {
		t.Errorf("%d bytes reserved by a run that did not start", (1<<20)-budget.Process.Free())
	}
}
