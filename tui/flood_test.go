package tui

import (
	"runtime"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// TestKeyFloodLeavesNothing: a flood of keys that each change the problem
// starts no run until input pauses (and a run that did start but was
// cancelled never allocated before its share of the pool), and once the
// explorer ends no goroutine of its remains.
func TestKeyFloodLeavesNothing(t *testing.T) {
	base := runtime.NumGoroutine()
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	o := testOptions()
	o.Settings.Steps = 1000
	m, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.Init() // starts the first runs; their messages are never read
	keys := []string{"s", "S", "e", "c", "m", "r", "R", "a", "z", "Z"}
	for i := 0; i < 2000; i++ {
		press(m, keys[i%len(keys)])
	}
	var during runtime.MemStats
	runtime.ReadMemStats(&during)
	// The burst started no run: they start once input pauses.
	if n := len(m.runs.slots); n != 0 {
		t.Errorf("%d runs started during the burst", n)
	}
	press(m, "q")

	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > base+2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base+2 {
		t.Errorf("%d goroutines remain (%d before)", n, base)
	}
	// 2000 restarts of 1000-step runs would allocate gigabytes if each
	// made its trajectory; the pool lets only the few it runs start.
	if grew := during.TotalAlloc - before.TotalAlloc; grew > 1<<30 {
		t.Errorf("the flood allocated %d MB", grew>>20)
	} else {
		t.Logf("the flood allocated %d MB", grew>>20)
	}
}

// BenchmarkKeyRecompute is the cost in Update of a key that recomputes
// the problem (σ), as the UI thread pays it.
func BenchmarkKeyRecompute(b *testing.B) {
	m, err := New(testOptions())
	if err != nil {
		b.Fatal(err)
	}
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		press(m, []string{"s", "S"}[i%2])
	}
	m.cancelRuns()
}
